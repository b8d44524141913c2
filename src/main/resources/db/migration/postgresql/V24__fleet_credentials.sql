-- Credentials tenants (issue 17): a tenant whose spec carries an authValue (an API key, Basic credentials)
-- cannot be repaired by a sign-in link when Cyclr stops taking its credentials; only other credentials do.
-- auth_print is a keyed fingerprint (HMAC-SHA256 under a key derived from the store key) of the tenant's
-- authValue in the spec, so credentials are compared without plaintext; supplied_print is the print of the
-- credentials last given to Cyclr for the tenant (by a step's job that installed, found or re-authenticated
-- it). The two differ when a new spec brought credentials Cyclr has not had yet.
ALTER TABLE fleet_intake_tenants ADD COLUMN auth_print TEXT;
ALTER TABLE fleet_tenants ADD COLUMN auth_print TEXT;
ALTER TABLE fleet_tenants ADD COLUMN supplied_print TEXT;
