-- Cluster-shaped job core. Items are leased to the node that claimed them (lease_owner, lease_until
-- in epoch milliseconds on the database's clock); an expired lease makes the item PENDING again
-- (recovered). Items left RUNNING by the single-process core are recovered here, before the index
-- below can see two of them for one account.
UPDATE items SET status = 'PENDING', recovered = 1 WHERE status = 'RUNNING';
ALTER TABLE items ADD COLUMN lease_owner TEXT;
ALTER TABLE items ADD COLUMN lease_until INTEGER;
-- Two items of one account never run at the same time, anywhere: the database refuses it.
CREATE UNIQUE INDEX items_one_running_per_account ON items (account) WHERE status = 'RUNNING';
CREATE INDEX items_running_by_lease ON items (lease_until) WHERE status = 'RUNNING';
CREATE INDEX items_running_by_owner ON items (lease_owner) WHERE status = 'RUNNING';
-- The caller (API token name) that created the job; jobs are visible to it (and to admins) only.
-- Idempotency keys are stored prefixed with the owner, so they are unique per caller.
ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT 'default';
-- The failure policy stopped the job (too many failures): nothing new starts.
ALTER TABLE jobs ADD COLUMN stopped INTEGER NOT NULL DEFAULT 0;
