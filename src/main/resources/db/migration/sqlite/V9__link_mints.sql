-- Sign-in tokens minted through each relay link (issue 21): a Connect flood on one link must not make
-- hundreds of Cyclr sign-in tokens. The count of the current window and when that window began (epoch
-- milliseconds on the database's clock), changed by one conditional UPDATE, so every node agrees.
ALTER TABLE links ADD COLUMN mints INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN mint_window_at BIGINT NOT NULL DEFAULT 0;
