-- The business's colour on its sign-in page and app; the web app picks black or white text to go on it.
ALTER TABLE tenants ADD COLUMN brand_color text NOT NULL DEFAULT '#0f766e' CHECK (brand_color ~ '^#[0-9a-f]{6}$');

-- Wrong passwords counted per account, so that guessing from many addresses (which the per-address limit cannot
-- see) still locks the account for a while.
ALTER TABLE users ADD COLUMN sign_in_failures integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN sign_in_locked_until timestamptz;

-- "My recent activity" reads a person's own records, newest first.
CREATE INDEX audit_log_tenant_actor ON audit_log (tenant_id, actor_id, seq DESC);
