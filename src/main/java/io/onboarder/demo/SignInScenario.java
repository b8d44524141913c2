package io.onboarder.demo;

import static io.onboarder.demo.Console.compact;
import static io.onboarder.demo.Console.say;

import io.onboarder.emulator.CyclrEmulator;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Comparator;
import java.util.List;

/**
 * Two tenants sign in through their relay links: tenant-001 opens its link, clicks Connect, signs in at
 * Cyclr and comes back (noticed at the return); tenant-002 signs in and closes the window (noticed by
 * the sign-in watch). Both items turn AUTHENTICATED, as {@code onboarder.events.item} tells. Then tenant-001's
 * grant is revoked at the provider: a credential health check notices it and sends a fresh link, and the tenant
 * signs in again.
 */
final class SignInScenario {
  private final Vertx vertx;
  private final ServiceClient service;
  private final CyclrEmulator cyclr;

  SignInScenario(Vertx vertx, ServiceClient service, CyclrEmulator cyclr) {
    this.vertx = vertx;
    this.service = service;
    this.cyclr = cyclr;
  }

  /**
   * @param links    the events published on {@code onboarder.events.oauth}, tenant-001's first
   * @param signedIn the AUTHENTICATED events published on {@code onboarder.events.item}, as they come
   */
  boolean run(String jobId, List<JsonObject> links, List<JsonObject> signedIn) throws Exception {
    if (links.size() < 2) {
      return true;
    }
    say("");
    say("tenant-001 opens its link in a browser:");
    String link = links.get(0).getString("url");
    long minted = cyclr.stats().signInTokensIssued();
    HttpResponse<Buffer> page = service.browse("GET", link);
    say("  GET  /connect/…       -> %d, a page with a Connect button (Cyclr tokens minted: %d; a mail filter "
        + "opening the link burns nothing)", page.statusCode(), cyclr.stats().signInTokensIssued() - minted);
    HttpResponse<Buffer> connect = service.browse("POST", link);
    say("  POST /connect/…       -> %d to Cyclr's sign-in page, with a token minted just now (minted: %d)",
        connect.statusCode(), cyclr.stats().signInTokensIssued() - minted);
    HttpResponse<Buffer> atCyclr = service.browse("GET", connect.getHeader("Location"));
    say("  Cyclr sign-in page    -> %d back to %s", atCyclr.statusCode(),
        atCyclr.getHeader("Location") == null ? "?" : atCyclr.getHeader("Location").replace(link, "/connect/…"));
    HttpResponse<Buffer> done = service.browse("GET", link + "/done");
    say("  GET  /connect/…/done  -> %d to %s (checked at Cyclr at once)", done.statusCode(),
        done.getHeader("Location"));
    HttpResponse<Buffer> again = service.browse("GET", link);
    say("  the link again        -> %d, \"%s\"", again.statusCode(),
        again.bodyAsString().contains("is connected") ? "Salesforce is connected" : "?");

    say("");
    say("tenant-002 signs in at Cyclr and closes the window before coming back:");
    String link2 = links.get(1).getString("url");
    HttpResponse<Buffer> atCyclr2 = service.browse("GET", service.browse("POST", link2).getHeader("Location"));
    say("  Cyclr sign-in page    -> %d (the browser never returns to /done)", atCyclr2.statusCode());
    long t0 = System.nanoTime();
    long deadline = System.currentTimeMillis() + 30_000;
    while (signedIn.size() < 2 && System.currentTimeMillis() < deadline) {
      vertx.timer(100).await();
    }
    if (signedIn.size() < 2) {
      say("the sign-in watch did not notice tenant-002 in time");
      return false;
    }
    say("  the sign-in watch noticed it %.1f s later (it polls GET /v1.0/account/connectors/{id}, backing off)",
        (System.nanoTime() - t0) / 1e9);
    say("");
    say("Published on %s:", Demo.EVENTS_ITEM);
    signedIn.stream().sorted(Comparator.comparing(e -> e.getString("account")))
        .forEach(e -> say("  %-11s %s", e.getString("account"), e.getString("status")));
    JsonObject s = service.job(jobId);
    say("  job %s  %s", s.getString("status"), compact(s.getJsonObject("counts")));
    return revokedGrant(jobId, links, signedIn);
  }

  /**
   * tenant-001's grant is revoked at the provider: the next credential health check notices it, the item becomes
   * REAUTH_REQUIRED with a fresh link (the old one answers 410), and the tenant signs in again.
   */
  private boolean revokedGrant(String jobId, List<JsonObject> links, List<JsonObject> signedIn) throws Exception {
    JsonObject first = links.get(0);
    String oldLink = first.getString("url");
    say("");
    say("tenant-001's grant is revoked at the provider (Cyclr: Authenticated false); nobody tells the service:");
    cyclr.revokeSignIn(first.getInteger("accountConnectorId"));
    long t0 = System.nanoTime();
    JsonObject fresh = null;
    for (long deadline = System.currentTimeMillis() + 30_000; fresh == null && System.currentTimeMillis() < deadline;) {
      fresh = links.stream().filter(l -> first.getString("account").equals(l.getString("account"))
          && !oldLink.equals(l.getString("url"))).findFirst().orElse(null);
      if (fresh == null) {
        vertx.timer(100).await();
      }
    }
    if (fresh == null) {
      say("  the credential health check did not notice it in time");
      return false;
    }
    say("  the credential health check noticed it %.1f s later: item REAUTH_REQUIRED (webhook item.deauthenticated),",
        (System.nanoTime() - t0) / 1e9);
    say("  and a fresh link on %s: %s", Demo.EVENTS_OAUTH, fresh.getString("url"));
    say("  the old link          -> %d (gone)", service.browse("GET", oldLink).statusCode());
    String freshLink = fresh.getString("url");
    HttpResponse<Buffer> connect = service.browse("POST", freshLink);
    service.browse("GET", connect.getHeader("Location"));
    HttpResponse<Buffer> done = service.browse("GET", freshLink + "/done");
    say("  tenant-001 signs in again through it -> %d; item AUTHENTICATED (webhook item.authenticated: recovered)",
        done.statusCode());
    JsonObject s = service.job(jobId);
    say("  job %s  %s", s.getString("status"), compact(s.getJsonObject("counts")));
    return signedIn.size() >= 3;
  }
}
