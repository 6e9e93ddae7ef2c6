-- Business settings the owner changes (the tenants row is the platform's; the business edits its own through a
-- function that can only reach the row of the tenant bound to the transaction) and files the business stores.
ALTER TABLE tenants
  ADD COLUMN date_format text NOT NULL DEFAULT 'locale' CHECK (date_format IN ('locale', 'dmy', 'mdy', 'ymd')),
  ADD COLUMN time_format text NOT NULL DEFAULT 'locale' CHECK (time_format IN ('locale', '12h', '24h')),
  ADD COLUMN logo_file_id uuid;

CREATE TABLE tenant_files (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('logo')),
  content_type text NOT NULL,
  size_bytes integer NOT NULL CHECK (size_bytes > 0),
  sha256 bytea NOT NULL,
  bytes bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
SELECT brigade_isolate('tenant_files');
REVOKE ALL ON tenant_files FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON tenant_files TO brigade_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_files TO brigade_platform;

-- The tenant bound to the transaction, for functions that change a business's own row: fails closed without one.
CREATE FUNCTION bound_tenant_id() RETURNS uuid LANGUAGE plpgsql STABLE AS $$
DECLARE
  t uuid := current_tenant_id();
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'no business is bound to this transaction' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN t;
END $$;

-- Returns the new version, or null when `expected_version` is not the current one (someone changed it first).
CREATE FUNCTION brigade_update_business(
  p_name text, p_time_zone text, p_currency text, p_locale text, p_date_format text, p_time_format text,
  p_brand_color text, p_expected_version integer
) RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  t uuid := bound_tenant_id();
  v integer;
BEGIN
  UPDATE tenants SET name = p_name, time_zone = p_time_zone, currency = p_currency, locale = p_locale,
         date_format = p_date_format, time_format = p_time_format, brand_color = p_brand_color,
         version = version + 1, updated_at = now()
   WHERE id = t AND version = p_expected_version
  RETURNING version INTO v;
  RETURN v;
END $$;

CREATE FUNCTION brigade_set_business_logo(p_file uuid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  t uuid := bound_tenant_id();
BEGIN
  UPDATE tenants SET logo_file_id = p_file, updated_at = now() WHERE id = t;
END $$;

REVOKE ALL ON FUNCTION brigade_update_business(text, text, text, text, text, text, text, integer), brigade_set_business_logo(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brigade_update_business(text, text, text, text, text, text, text, integer), brigade_set_business_logo(uuid) TO brigade_app;
