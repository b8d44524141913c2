package io.onboarder.cyclr;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.Set;

/** The facts about a Cyclr connector that onboarding needs. */
public record Connector(long id, String name, String version, String status, Set<String> authTypes,
                        Set<String> oauth2Types) {

  public static Connector fromCyclr(JsonObject j) {
    Set<String> auth = new LinkedHashSet<>();
    Set<String> oauth2 = new LinkedHashSet<>();
    addIfPresent(auth, j.getValue("AuthType"));
    addIfPresent(oauth2, j.getValue("OAuth2Type"));
    if (j.getValue("Authentication") instanceof JsonArray list) {
      for (Object o : list) {
        if (o instanceof JsonObject a) {
          addIfPresent(auth, a.getValue("AuthType"));
          addIfPresent(oauth2, a.getValue("OAuth2Type"));
        }
      }
    }
    Object id = j.getValue("Id");
    return new Connector(id instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(id)),
        j.getString("Name"), j.getValue("Version") == null ? null : String.valueOf(j.getValue("Version")),
        j.getString("Status"), auth, oauth2);
  }

  private static void addIfPresent(Set<String> set, Object v) {
    if (v != null && !String.valueOf(v).isBlank()) {
      set.add(String.valueOf(v));
    }
  }

  /** Only approved connectors can be installed (a missing status is taken as installable). */
  public boolean installable() {
    return status == null || status.equalsIgnoreCase("Approved");
  }

  /** OAuth connectors may need a user sign-in once installed (when Cyclr reports them not authenticated). */
  public boolean oauth() {
    return authTypes.stream().anyMatch(t -> t.equalsIgnoreCase("OAuth1") || t.equalsIgnoreCase("OAuth2"));
  }

  /** A user must sign in: OAuth1, or OAuth2 with an authorisation-code (or unspecified) grant. */
  public boolean needsUserSignIn() {
    if (authTypes.stream().anyMatch(t -> t.equalsIgnoreCase("OAuth1"))) {
      return true;
    }
    if (authTypes.stream().noneMatch(t -> t.equalsIgnoreCase("OAuth2"))) {
      return false;
    }
    return oauth2Types.isEmpty() || oauth2Types.stream().anyMatch(t -> t.equalsIgnoreCase("AuthorisationCode")
        || t.equalsIgnoreCase("AuthorizationCode") || t.equalsIgnoreCase("Unknown"));
  }
}
