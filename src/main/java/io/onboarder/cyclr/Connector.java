package io.onboarder.cyclr;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.Set;

/** The facts about a Cyclr connector that onboarding needs. */
public record Connector(long id, String name, String version, String status, Set<String> authTypes,
                        Set<String> signInMethods) {

  public static Connector fromCyclr(JsonObject j) {
    Set<String> auth = new LinkedHashSet<>();
    Set<String> signIn = new LinkedHashSet<>();
    // Each authentication method is a (AuthType, OAuth2Type) pair; the top-level fields are one more.
    addMethod(auth, signIn, j.getValue("AuthType"), j.getValue("OAuth2Type"));
    if (j.getValue("Authentication") instanceof JsonArray list) {
      for (Object o : list) {
        if (o instanceof JsonObject a) {
          addMethod(auth, signIn, a.getValue("AuthType"), a.getValue("OAuth2Type"));
        }
      }
    }
    Long id = OnboardFlow.longOf(j.getValue("Id"), null);
    if (id == null) {
      throw new CyclrException.Unreadable("CYCLR_BAD_RESPONSE", "Cyclr described a connector without a numeric Id.",
          null);
    }
    return new Connector(id, text(j.getValue("Name")), text(j.getValue("Version")), text(j.getValue("Status")), auth,
        signIn);
  }

  /** A scalar field as text (Cyclr sends numbers as strings and back); null for anything else. */
  private static String text(Object v) {
    return v instanceof String || v instanceof Number || v instanceof Boolean ? String.valueOf(v) : null;
  }

  private static void addMethod(Set<String> auth, Set<String> signIn, Object authType, Object oauth2Type) {
    if (!(authType instanceof String) || String.valueOf(authType).isBlank()) {
      return;
    }
    String type = String.valueOf(authType);
    auth.add(type);
    String grant = oauth2Type == null ? "" : String.valueOf(oauth2Type);
    // A user signs in for OAuth1, and for OAuth2 with an authorisation-code (or unstated) grant.
    if (type.equalsIgnoreCase("OAuth1") || (type.equalsIgnoreCase("OAuth2") && (grant.isBlank()
        || grant.equalsIgnoreCase("AuthorisationCode") || grant.equalsIgnoreCase("AuthorizationCode")
        || grant.equalsIgnoreCase("Unknown")))) {
      signIn.add(type + "/" + grant);
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

  /** A user must sign in: some method is OAuth1, or OAuth2 with an authorisation-code (or unstated) grant. */
  public boolean needsUserSignIn() {
    return !signInMethods.isEmpty();
  }
}
