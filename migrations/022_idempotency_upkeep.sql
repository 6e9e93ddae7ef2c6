-- Idempotency-Key on the platform path (an operator creating a business, changing its status; sign-up): the same
-- guarantee as a business's own POSTs, kept apart from every business's table. Only the platform role reaches it.
CREATE TABLE platform_idempotency_keys (
  actor_key text NOT NULL,
  key text NOT NULL,
  request_hash bytea NOT NULL,
  status_code integer NOT NULL,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (actor_key, key)
);
CREATE INDEX platform_idempotency_keys_created ON platform_idempotency_keys (created_at);
REVOKE ALL ON platform_idempotency_keys FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON platform_idempotency_keys TO brigade_platform;
