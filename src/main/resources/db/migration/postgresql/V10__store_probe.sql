-- A scratch row that the node writes (and deletes) while its disk is known to be full: the write
-- needs new pages, so it succeeds only once there is space again, and the node recovers by itself.
CREATE TABLE store_probe (
  id INTEGER PRIMARY KEY,
  filler BYTEA NOT NULL
);
