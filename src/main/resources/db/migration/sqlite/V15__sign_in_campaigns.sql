-- Sign-in campaigns (issue 18): reminders and expiry of relay links, and the sign-in funnel.
-- Times are epoch milliseconds on the database's clock, like the links' own.
-- campaign_at: when the link's next step is due (a reminder, or its expiry; NULL = nothing left to do:
-- the tenant signed in, the link was revoked or reissued, or the job was cancelled). A node claims a due
-- step by moving campaign_at past its lease (campaign_owner), and takes it by one conditional UPDATE on
-- reminders_sent, so each reminder is sent once cluster-wide. campaign_plan: the reminder times, as
-- milliseconds after created_at, comma-separated (from the job's signIn.remindAfterHours).
ALTER TABLE links ADD COLUMN campaign_at INTEGER;
ALTER TABLE links ADD COLUMN campaign_plan TEXT NOT NULL DEFAULT '';
ALTER TABLE links ADD COLUMN campaign_owner TEXT;
ALTER TABLE links ADD COLUMN reminders_sent INTEGER NOT NULL DEFAULT 0;
-- The funnel: when the link's page was first shown (GET) and its Connect first pressed (POST, a Cyclr
-- sign-in token minted).
ALTER TABLE links ADD COLUMN opened_at INTEGER;
ALTER TABLE links ADD COLUMN started_at INTEGER;
-- When the item's tenant signed in (AUTHENTICATED), for the median time to sign in.
ALTER TABLE items ADD COLUMN signed_in_at INTEGER;
-- Links that still work come to their expiry step too (they were issued before campaigns existed).
UPDATE links SET campaign_at = expires_at WHERE revoked = 0;
CREATE INDEX links_campaign_due ON links (campaign_at) WHERE campaign_at IS NOT NULL;
