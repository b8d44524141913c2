package io.onboarder.job;

/**
 * What the API shows of one account of a job with a template: {@code WAITING} (its items are not
 * ready yet, or a sign-in is outstanding), {@code INSTALLED} (the template's cycle is in the account,
 * no activation was asked), {@code ACTIVE}, {@code SETUP_REQUIRED} (Cyclr lists prerequisites the
 * service cannot meet, e.g. field mappings) and {@code FAILED}.
 */
public enum AccountStatus {
  WAITING, INSTALLED, ACTIVE, SETUP_REQUIRED, FAILED;

  public static AccountStatus parse(String s) {
    try {
      return s == null ? null : valueOf(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
