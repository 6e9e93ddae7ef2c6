-- Brigade core: tenants, people, locations, sessions, audit trail, idempotency, jobs, mail.
-- Every tenant-owned table: tenant_id first in the primary key, foreign keys that include tenant_id,
-- indexes that lead with tenant_id, row-level security enabled AND forced, policy on app.tenant_id.

CREATE FUNCTION current_tenant_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- Applies the one tenant policy to a table: enabled, forced, reads and writes limited to app.tenant_id.
CREATE FUNCTION brigade_isolate(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id())', tbl);
END $$;

-- ---------------------------------------------------------------- platform tables (not tenant-owned)

CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('trial', 'active', 'past_due', 'suspended', 'cancelled', 'purged')),
  custom_domain text UNIQUE CHECK (custom_domain = lower(custom_domain)),
  locale text NOT NULL DEFAULT 'en-US',
  currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  time_zone text NOT NULL DEFAULT 'UTC',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE platform_users (
  id uuid PRIMARY KEY,
  email text NOT NULL UNIQUE CHECK (email = lower(email)),
  name text NOT NULL,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('platform_admin', 'platform_support')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE platform_sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES platform_users (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  idle_expires_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  ip text,
  user_agent text
);

-- Platform actions (outside any one tenant) have their own append-only log.
CREATE TABLE platform_audit_log (
  id uuid PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_id uuid,
  actor_label text NOT NULL,
  action text NOT NULL,
  target_tenant_id uuid,
  resource_type text NOT NULL,
  resource_id text,
  risk text NOT NULL CHECK (risk IN ('low', 'medium', 'high', 'critical')),
  ip text,
  user_agent text,
  request_id text,
  changes jsonb
);

-- Shared rate-limit counters, so every instance counts the same requests.
CREATE TABLE rate_limit_counters (
  key text PRIMARY KEY,
  hits integer NOT NULL,
  reset_at timestamptz NOT NULL
);

-- ---------------------------------------------------------------- tenant tables

CREATE TABLE locations (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  address text,
  time_zone text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX locations_tenant_name ON locations (tenant_id, lower(name));

CREATE TABLE users (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  email text NOT NULL CHECK (email = lower(email)),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  password_hash text,
  pin_hash text,
  pin_failures integer NOT NULL DEFAULT 0,
  pin_locked_until timestamptz,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email)
);

CREATE TABLE role_assignments (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor')),
  location_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id) ON DELETE CASCADE,
  UNIQUE NULLS NOT DISTINCT (tenant_id, user_id, role, location_id)
);

CREATE TABLE kiosks (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  location_id uuid NOT NULL,
  name text NOT NULL,
  token_hash bytea NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);

CREATE TABLE sessions (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  token_hash bytea NOT NULL,
  kind text NOT NULL CHECK (kind IN ('password', 'pin')),
  kiosk_id uuid,
  idle_seconds integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  idle_expires_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  ip text,
  user_agent text,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, kiosk_id) REFERENCES kiosks (tenant_id, id)
);
CREATE INDEX sessions_tenant_user ON sessions (tenant_id, user_id) WHERE revoked_at IS NULL;

CREATE TABLE invitations (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  email text NOT NULL CHECK (email = lower(email)),
  role text NOT NULL,
  location_id uuid,
  token_hash bytea NOT NULL,
  invited_by uuid,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);

CREATE TABLE password_resets (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  token_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- A POST retried with the same Idempotency-Key gets the first answer again instead of a second write.
CREATE TABLE idempotency_keys (
  tenant_id uuid NOT NULL,
  actor_key text NOT NULL,
  key text NOT NULL,
  request_hash bytea NOT NULL,
  status_code integer NOT NULL,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, actor_key, key)
);

-- Durable jobs: survive restarts, retried with backoff, run in their tenant's transaction.
CREATE TABLE jobs (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  kind text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 8,
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_tenant_due ON jobs (tenant_id, run_at) WHERE status IN ('pending', 'running');

-- Every mail Brigade sends or keeps (when no SMTP server is configured).
CREATE TABLE outbox_messages (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  channel text NOT NULL DEFAULT 'email',
  to_address text NOT NULL,
  subject text NOT NULL,
  body text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'kept', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);

-- Append-only, hash-chained per tenant. The chain head is kept apart so that concurrent writers
-- take turns on one row lock instead of racing for the same sequence number.
CREATE TABLE audit_log (
  tenant_id uuid NOT NULL,
  seq bigint NOT NULL,
  id uuid NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_type text NOT NULL,
  actor_id uuid,
  actor_label text NOT NULL,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text,
  location_id uuid,
  risk text NOT NULL CHECK (risk IN ('low', 'medium', 'high', 'critical')),
  ip text,
  user_agent text,
  request_id text,
  changes jsonb,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);
CREATE INDEX audit_log_tenant_resource ON audit_log (tenant_id, resource_type, resource_id);

CREATE TABLE audit_heads (
  tenant_id uuid NOT NULL PRIMARY KEY,
  seq bigint NOT NULL,
  hash bytea NOT NULL
);

CREATE FUNCTION audit_row_hash(r audit_log) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(r.prev_hash || convert_to(concat_ws(chr(31),
    r.tenant_id::text, r.seq::text, r.id::text,
    to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    r.actor_type, coalesce(r.actor_id::text, '\N'), r.actor_label, r.action, r.resource_type,
    coalesce(r.resource_id, '\N'), coalesce(r.location_id::text, '\N'), r.risk, coalesce(r.ip, '\N'),
    coalesce(r.user_agent, '\N'), coalesce(r.request_id, '\N'), coalesce(r.changes::text, '\N')), 'UTF8'))
$$;

-- Runs as the owner so the application role never needs write access to the chain head.
CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  head audit_heads;
BEGIN
  INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (NEW.tenant_id, 0, sha256(convert_to(NEW.tenant_id::text, 'UTF8')))
    ON CONFLICT (tenant_id) DO NOTHING;
  SELECT * INTO STRICT head FROM audit_heads WHERE tenant_id = NEW.tenant_id FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.at := clock_timestamp();
  NEW.prev_hash := head.hash;
  NEW.hash := audit_row_hash(NEW);
  UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE tenant_id = NEW.tenant_id;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_chain();

SELECT brigade_isolate(t) FROM unnest(ARRAY[
  'locations', 'users', 'role_assignments', 'kiosks', 'sessions', 'invitations', 'password_resets',
  'idempotency_keys', 'jobs', 'outbox_messages', 'audit_log', 'audit_heads'
]::regclass[]) AS t;

-- ---------------------------------------------------------------- privileges

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT SELECT ON schema_migrations, tenants TO brigade_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
  locations, users, role_assignments, kiosks, sessions, invitations, password_resets,
  idempotency_keys, jobs, outbox_messages, rate_limit_counters
  TO brigade_app;
-- The application may add to the audit trail and read it; it can neither change nor remove a record.
GRANT SELECT, INSERT ON audit_log TO brigade_app;
GRANT SELECT ON audit_heads TO brigade_app;

-- The platform path (SET LOCAL ROLE brigade_platform, BYPASSRLS) sees across tenants.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO brigade_platform;
REVOKE UPDATE, DELETE ON audit_log, platform_audit_log FROM brigade_platform;
REVOKE INSERT, UPDATE, DELETE ON audit_heads FROM brigade_platform;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO brigade_app, brigade_platform;
