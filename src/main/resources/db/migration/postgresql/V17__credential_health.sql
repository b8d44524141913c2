-- Credential health (issue 18): signed-in (AUTHENTICATED) items are checked at Cyclr once per
-- SIGNIN_HEALTH_INTERVAL_HOURS. Times are epoch milliseconds on the database's clock.
-- When the item is checked next (NULL = not scheduled yet: the next sweep gives it a due time spread over the
-- interval), the node checking it now (a lease, like the sign-in watch's), when it was last checked, and whether
-- its account connector is gone at Cyclr (404: no more checks; that is not a lost sign-in).
ALTER TABLE items ADD COLUMN health_next_at BIGINT;
ALTER TABLE items ADD COLUMN health_owner TEXT;
ALTER TABLE items ADD COLUMN health_checked_at BIGINT;
ALTER TABLE items ADD COLUMN health_gone INTEGER NOT NULL DEFAULT 0;
CREATE INDEX items_health_due ON items (health_next_at) WHERE health_next_at IS NOT NULL;
CREATE INDEX items_health_unscheduled ON items (id)
  WHERE status = 'AUTHENTICATED' AND health_next_at IS NULL AND health_gone = 0;
-- The sign-in watch now also polls REAUTH_REQUIRED items: its index no longer names one status (only items
-- waiting for a sign-in ever have a watch_next_at).
DROP INDEX IF EXISTS items_watch_due;
CREATE INDEX items_watch_due ON items (watch_next_at) WHERE watch_next_at IS NOT NULL;
