package io.onboarder.fleet;

import io.onboarder.job.JobRequest;
import io.onboarder.job.JobRequestValidator;
import io.onboarder.job.ValidationErrors;
import io.vertx.core.json.JsonObject;

/**
 * A fleet's desired state without its tenants: the job fields every tenant's install uses
 * ({@code connector}, {@code template}, {@code activate}, {@code installName}, {@code description},
 * {@code createAccounts}, {@code oauth}) and its {@link FleetPolicy}. What is stored as the fleet's
 * spec (no auth values); the tenants are stored one row each.
 */
public record FleetSpec(JobRequest fields, FleetPolicy policy) {

  /**
   * The spec of {@code json} (a fleet body without tenants: every top-level member but "tenants"),
   * violations to {@code errors}. {@code createAccounts} is a top-level fleet field; the job rules check
   * the rest, so a fleet accepts exactly what a job accepts.
   */
  public static FleetSpec of(JsonObject json, JobRequestValidator validator, ValidationErrors errors) {
    JsonObject jobFields = json.copy();
    jobFields.remove("policy");
    Object create = jobFields.remove("createAccounts");
    if (create != null) {
      JsonObject options = jobFields.getValue("options") instanceof JsonObject o ? o : new JsonObject();
      jobFields.put("options", options.put("createAccounts", create));
    }
    long mark = errors.mark();
    JobRequest fields = validator.fields(jobFields, errors);
    if (fields.dryRun()) {
      errors.add("/options/dryRun", "is not a fleet field: POST /v1/fleets/{name}/plan is the dry run");
    }
    errors.annotate(mark, pointer -> pointer.equals("/options/createAccounts")
        ? new JsonObject().put("pointer", "/createAccounts") : null);
    return new FleetSpec(fields, FleetPolicy.of(json.getValue("policy"), errors));
  }

  /** The spec as stored and shown: the job fields in their request shape, plus the policy. */
  public JsonObject toJson() {
    JsonObject j = fields.specJson();
    JsonObject options = j.getJsonObject("options");
    j.remove("options");
    j.put("createAccounts", options.getBoolean("createAccounts", false));
    if (options.getDouble("toleratedFailurePercent", 100.0) != 100.0) {
      j.put("options", new JsonObject().put("toleratedFailurePercent", options.getDouble("toleratedFailurePercent")));
    }
    return j.put("policy", policy.toJson());
  }
}
