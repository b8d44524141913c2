package io.onboarder.signin;

import io.onboarder.bus.Addresses;
import io.onboarder.job.JobRecords;
import io.onboarder.job.JobService;
import io.onboarder.logs.LogKeys;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sign-in campaign requests on the bus, for the job's owner (or an admin), as the job service answers
 * its own: {@value Addresses#JOBS_LINK_REVOKE} revokes an item's link (the store decides, so every node
 * answers 410 from the commit on) and {@value Addresses#JOBS_SIGN_INS} reads a job's funnel from the store.
 */
public final class CampaignService extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(CampaignService.class);

  private final JobRecords jobs;
  private final Campaigns campaigns;

  public CampaignService(JobRecords jobs, Campaigns campaigns) {
    this.jobs = jobs;
    this.campaigns = campaigns;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    List<MessageConsumer<?>> consumers = List.of(
        bus.<Object>consumer(Addresses.JOBS_LINK_REVOKE, JobService.guarded(msg -> {
          long itemId = JobService.itemId(msg);
          JobService.reply(msg, JobService.visibleJob(jobs, msg).compose(job -> campaigns.revoke(job.id(), itemId)
              .map(n -> {
                LogKeys.job(log.atInfo(), job.id(), msg.headers().get(JobService.CALLER))
                    .addKeyValue(LogKeys.ITEM_ID, String.valueOf(itemId))
                    .log("job {}: the sign-in link of item {} was revoked", job.id(), itemId);
                return new JsonObject().put("jobId", job.id()).put("itemId", String.valueOf(itemId))
                    .put("revoked", true);
              })));
        })),
        bus.<Object>consumer(Addresses.JOBS_SIGN_INS, JobService.guarded(msg -> JobService.reply(msg,
            JobService.visibleJob(jobs, msg).compose(job -> campaigns.funnel(List.of(job.id())))
                .map(Campaigns.Funnel::toJson)))));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
  }
}
