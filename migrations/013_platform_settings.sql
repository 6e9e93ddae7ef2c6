-- The operator's own settings for the service: how long a trial lasts, whether anyone may sign up on their own and
-- on which plan, and where a suspended business is told to write. One row; only the platform path reads or writes
-- it. `version` makes two operators' saves conflict instead of one silently winning.
CREATE TABLE platform_settings (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  trial_days integer NOT NULL DEFAULT 14 CHECK (trial_days BETWEEN 1 AND 90),
  sign_up_open boolean NOT NULL DEFAULT true,
  sign_up_plan text NOT NULL DEFAULT 'professional' REFERENCES plans (code),
  support_email text CHECK (support_email IS NULL OR length(support_email) <= 254),
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);
INSERT INTO platform_settings (id) VALUES (true) ON CONFLICT DO NOTHING;

REVOKE ALL ON platform_settings FROM PUBLIC;
GRANT SELECT, UPDATE ON platform_settings TO brigade_platform;

-- The roles a business works with. Its template chooses them (a café has no compliance officer or auditor); the
-- owner may change them. Invitations offer and accept only these; the owner's role is always among them.
ALTER TABLE tenants ADD COLUMN roles_in_use text[] NOT NULL
  DEFAULT ARRAY['owner', 'admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor']
  CHECK ('owner' = ANY (roles_in_use)
    AND roles_in_use <@ ARRAY['owner', 'admin', 'location_manager', 'compliance_officer', 'manager', 'staff', 'auditor']);

CREATE FUNCTION brigade_set_roles_in_use(p_roles text[]) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  t uuid := bound_tenant_id();
BEGIN
  UPDATE tenants SET roles_in_use = p_roles, updated_at = now() WHERE id = t;
END $$;
REVOKE ALL ON FUNCTION brigade_set_roles_in_use(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brigade_set_roles_in_use(text[]) TO brigade_app;
