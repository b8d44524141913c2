package io.onboarder.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The item state machine: which moves are legal, which states are final, which count as success. */
class ItemStatusTest {

  @ParameterizedTest(name = "{0} -> {1}: {2}")
  @CsvSource({
      "PENDING,   RUNNING,           true",
      "PENDING,   CANCELLED,         true",
      "PENDING,   INSTALLED,         false",
      "PENDING,   FAILED,            false",
      "PENDING,   PENDING,           false",
      "RUNNING,   INSTALLED,         true",
      "RUNNING,   ALREADY_INSTALLED, true",
      "RUNNING,   OAUTH_PENDING,     true",
      "RUNNING,   FAILED,            true",
      "RUNNING,   PENDING,           true",
      "RUNNING,   RUNNING,           false",
      "FAILED,    PENDING,           true",
      "OAUTH_PENDING, AUTHENTICATED, true",
      "OAUTH_PENDING, INSTALLED,     false",
      "OAUTH_PENDING, PENDING,       false",
      "RUNNING,   AUTHENTICATED,     false",
      "AUTHENTICATED, OAUTH_PENDING, false",
      "AUTHENTICATED, REAUTH_REQUIRED, true",
      "REAUTH_REQUIRED, AUTHENTICATED, true",
      "REAUTH_REQUIRED, OAUTH_PENDING, false",
      "REAUTH_REQUIRED, PENDING,     false",
      "FAILED,    RUNNING,           false",
      "FAILED,    INSTALLED,         false",
      "CANCELLED, PENDING,           false",
      "CANCELLED, RUNNING,           false",
  })
  void allowsOnlyTheDocumentedTransitions(ItemStatus from, ItemStatus to, boolean allowed) {
    assertThat(from.canMoveTo(to)).isEqualTo(allowed);
  }

  @ParameterizedTest(name = "{0} is final")
  @EnumSource(value = ItemStatus.class, names = {"INSTALLED", "ALREADY_INSTALLED", "CANCELLED", "SIGN_IN_EXPIRED"})
  void finishedItemsNeverMoveAgain(ItemStatus done) {
    for (ItemStatus target : ItemStatus.values()) {
      assertThat(done.canMoveTo(target)).as("%s -> %s", done, target).isFalse();
    }
    assertThat(done.next()).isEmpty();
  }

  @ParameterizedTest(name = "{0}: terminal={1}, succeeded={2}")
  @CsvSource({
      "PENDING,           false, false",
      "RUNNING,           false, false",
      "INSTALLED,         true,  true",
      "ALREADY_INSTALLED, true,  true",
      "OAUTH_PENDING,     true,  true",
      "AUTHENTICATED,     true,  true",
      "FAILED,            true,  false",
      "CANCELLED,         true,  false",
      "SIGN_IN_EXPIRED,   true,  false",
      "REAUTH_REQUIRED,   true,  false",
  })
  void terminalAndSucceeded(ItemStatus status, boolean terminal, boolean succeeded) {
    assertThat(status.terminal()).isEqualTo(terminal);
    assertThat(status.succeeded()).isEqualTo(succeeded);
  }

  @Test
  void aPendingSignInIsFinalForTheJobYetMayStillBecomeAuthenticatedOrExpire() {
    assertThat(ItemStatus.OAUTH_PENDING.terminal()).isTrue();
    assertThat(ItemStatus.OAUTH_PENDING.next()).containsExactlyInAnyOrder(ItemStatus.AUTHENTICATED,
        ItemStatus.SIGN_IN_EXPIRED);
  }

  @Test
  void aSignInCanBeLostAndRecoveredWithoutReopeningTheJob() {
    assertThat(ItemStatus.AUTHENTICATED.next()).containsExactly(ItemStatus.REAUTH_REQUIRED);
    assertThat(ItemStatus.REAUTH_REQUIRED.next()).containsExactly(ItemStatus.AUTHENTICATED);
    assertThat(ItemStatus.REAUTH_REQUIRED.terminal()).as("a finished job stays finished").isTrue();
    assertThat(ItemStatus.REAUTH_REQUIRED.awaitsSignIn()).isTrue();
    assertThat(ItemStatus.OAUTH_PENDING.awaitsSignIn()).isTrue();
    assertThat(ItemStatus.AUTHENTICATED.awaitsSignIn()).isFalse();
  }

  @Test
  void everySucceededStatusIsTerminal() {
    for (ItemStatus s : ItemStatus.values()) {
      if (s.succeeded()) {
        assertThat(s.terminal()).as(s.name()).isTrue();
      }
    }
  }

  @Test
  void nextIsACopyThatCallersCannotCorrupt() {
    var next = ItemStatus.PENDING.next();
    next.add(ItemStatus.INSTALLED);
    assertThat(ItemStatus.PENDING.canMoveTo(ItemStatus.INSTALLED)).isFalse();
    assertThat(ItemStatus.PENDING.next()).isEqualTo(EnumSet.of(ItemStatus.RUNNING, ItemStatus.CANCELLED));
  }

  @Test
  void parsesNamesAndRejectsAnythingElse() {
    assertThat(ItemStatus.parse("OAUTH_PENDING")).isEqualTo(ItemStatus.OAUTH_PENDING);
    assertThat(ItemStatus.parse("DONE")).isNull();
    assertThat(ItemStatus.parse("")).isNull();
    assertThat(ItemStatus.parse(null)).isNull();
  }
}
