package io.onboarder.cyclr;

import io.onboarder.time.Clock;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The no-duplicate-install guarantee, in one place for connectors and templates: the caller has checked that
 * nothing is installed before the first POST; after a POST whose outcome is unknown (a lost answer, a proxy's
 * 502/504, our timeout) this lets Cyclr settle and checks again, twice, before sending it once more. A POST is
 * never re-sent blindly, and never at all once this node may have lost its lease.
 */
final class CheckedInstall {
  private final Clock time;
  private final int maxAttempts;
  private final long settleMillis;
  private final BooleanSupplier mayInstall;

  /** {@code mayInstall}: false while this node's leases may have lapsed (another node may take the work over). */
  CheckedInstall(Clock time, int maxAttempts, long settleMillis, BooleanSupplier mayInstall) {
    this.time = time;
    this.maxAttempts = maxAttempts;
    this.settleMillis = settleMillis;
    this.mayInstall = mayInstall;
  }

  /**
   * Installs once, after {@code find} found nothing: {@code post} sends one install; {@code find} looks for it
   * (null: not there). {@code what} and {@code nothing} word the failure when the outcome stays unknown
   * ("install", "nothing is installed").
   */
  Future<JsonObject> install(Supplier<Future<JsonObject>> find, Supplier<Future<JsonObject>> post, String what,
                             String nothing) {
    return attempt(find, post, what, nothing, 1);
  }

  private Future<JsonObject> attempt(Supplier<Future<JsonObject>> find, Supplier<Future<JsonObject>> post,
                                     String what, String nothing, int attempt) {
    if (!mayInstall.getAsBoolean()) {
      // The lease may lapse before the POST lands: hand the work back rather than race the node that would
      // take it over. After an earlier attempt it is handed back as recovered (it may exist at Cyclr).
      return Future.failedFuture(new CyclrException.ShuttingDown(attempt > 1));
    }
    return post.get().recover(err -> {
      if (!(err instanceof CyclrException.Ambiguous)) {
        return Future.failedFuture(err);
      }
      return settledCheck(find).compose(found -> {
        if (found != null) {
          return Future.succeededFuture(found);
        }
        if (attempt >= maxAttempts) {
          return Future.failedFuture(new CyclrException("CYCLR_UNAVAILABLE", "The " + what + "'s outcome stayed "
              + "unknown after " + attempt + " attempts (" + err.getMessage() + "); " + nothing + ".", null));
        }
        return attempt(find, post, what, nothing, attempt + 1);
      });
    });
  }

  /** Cyclr may still be working on the install when the answer is lost: look after a while, and once more later. */
  private Future<JsonObject> settledCheck(Supplier<Future<JsonObject>> find) {
    return time.timer(settleMillis)
        .compose(v -> find.get())
        .compose(found -> found != null ? Future.succeededFuture(found)
            : time.timer(settleMillis * 2).compose(v -> find.get()));
  }
}
