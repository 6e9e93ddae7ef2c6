-- Support access: the operator may look into a business only while its owner allows it, read-only, for a while.
CREATE TABLE support_grants (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  granted_by uuid NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, granted_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX support_grants_live ON support_grants (tenant_id, expires_at) WHERE revoked_at IS NULL;

CREATE TABLE support_sessions (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  grant_id uuid NOT NULL,
  platform_user_id uuid NOT NULL,
  operator_label text NOT NULL,
  reason text NOT NULL,
  token_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, grant_id) REFERENCES support_grants (tenant_id, id)
);

SELECT brigade_isolate(t) FROM unnest(ARRAY['support_grants', 'support_sessions']::regclass[]) AS t;
REVOKE ALL ON support_grants, support_sessions FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON support_grants, support_sessions TO brigade_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON support_grants, support_sessions TO brigade_platform;
