-- Sign-in links and the sign-in watch (issue 7). Times are epoch milliseconds on the database's clock.
-- The connector's name, for the public link page.
ALTER TABLE items ADD COLUMN connector_name TEXT;
-- The watch of an OAUTH_PENDING item: when to poll Cyclr next (NULL = not watched), the current backoff
-- interval, until when to watch (the link's expiry), and the node polling it now (a lease, like items').
ALTER TABLE items ADD COLUMN watch_next_at BIGINT;
ALTER TABLE items ADD COLUMN watch_interval BIGINT;
ALTER TABLE items ADD COLUMN watch_until BIGINT;
ALTER TABLE items ADD COLUMN watch_owner TEXT;
CREATE INDEX items_watch_due ON items (watch_next_at) WHERE status = 'OAUTH_PENDING' AND watch_next_at IS NOT NULL;

-- Relay links: {PUBLIC_URL}/connect/{token}. The token itself is never stored: only its SHA-256
-- (token_hash, for lookup) and the random salt it is derived from with the store key (HMAC), so that
-- the service can show the link again and a copy of the database alone opens nothing.
CREATE TABLE links (
  id                    BIGSERIAL PRIMARY KEY,
  token_hash            TEXT NOT NULL UNIQUE,
  salt                  TEXT NOT NULL,
  item_id               BIGINT NOT NULL REFERENCES items (id),
  job_id                TEXT NOT NULL REFERENCES jobs (id),
  account_connector_id  BIGINT,
  created_at            BIGINT NOT NULL,
  expires_at            BIGINT NOT NULL,
  revoked               INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX links_by_item ON links (item_id);
CREATE INDEX links_by_job ON links (job_id, item_id);
