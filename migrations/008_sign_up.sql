-- Self-service sign-up: a business is created only once its owner has proved the email address.
CREATE TABLE sign_ups (
  id uuid PRIMARY KEY,
  email text NOT NULL CHECK (email = lower(email)),
  slug text NOT NULL,
  business_name text NOT NULL,
  template text NOT NULL,
  time_zone text NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  tenant_ref uuid REFERENCES tenants (id)
);
CREATE INDEX sign_ups_email ON sign_ups (email, created_at DESC);

REVOKE ALL ON sign_ups FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_ups TO brigade_platform;
