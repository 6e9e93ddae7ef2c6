-- API keys: how an external system (a POS, payroll, a booking site) calls the API for one business. A key acts as
-- one tenant role, at one location for the location-scoped roles, never as the owner (owner-only powers need a
-- person). Its secret is shown once and kept here only as a SHA-256 hash, like every other bearer token.
CREATE TABLE api_keys (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  token_hash bytea NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor')),
  location_id uuid,
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id),
  -- As permissions.ts reads role assignments: these three roles hold only at a location, the others business-wide.
  CHECK ((role IN ('location_manager', 'manager', 'staff')) = (location_id IS NOT NULL))
);
CREATE INDEX api_keys_tenant_location ON api_keys (tenant_id, location_id);

SELECT brigade_isolate('api_keys');
REVOKE ALL ON api_keys FROM PUBLIC;
-- Revoking sets revoked_at: a key's row stays for the audit trail's sake, so the application never deletes one.
GRANT SELECT, INSERT, UPDATE ON api_keys TO brigade_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON api_keys TO brigade_platform;
