-- A business's own domain: requested with a token, used only once the token is found on that domain.
ALTER TABLE tenants
  ADD COLUMN custom_domain_pending text CHECK (custom_domain_pending = lower(custom_domain_pending)),
  ADD COLUMN custom_domain_token text,
  ADD COLUMN custom_domain_verified_at timestamptz;

CREATE FUNCTION brigade_request_custom_domain(p_domain text, p_token text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  t uuid := bound_tenant_id();
BEGIN
  UPDATE tenants SET custom_domain_pending = p_domain, custom_domain_token = p_token, updated_at = now() WHERE id = t;
END $$;

-- Makes the pending domain the business's address; only the one that was requested, and only for this business.
CREATE FUNCTION brigade_use_custom_domain(p_domain text) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  t uuid := bound_tenant_id();
BEGIN
  UPDATE tenants SET custom_domain = p_domain, custom_domain_pending = NULL, custom_domain_token = NULL,
         custom_domain_verified_at = now(), updated_at = now()
   WHERE id = t AND custom_domain_pending = p_domain;
  RETURN FOUND;
END $$;

CREATE FUNCTION brigade_remove_custom_domain() RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  t uuid := bound_tenant_id();
BEGIN
  UPDATE tenants SET custom_domain = NULL, custom_domain_pending = NULL, custom_domain_token = NULL,
         custom_domain_verified_at = NULL, updated_at = now()
   WHERE id = t;
END $$;

REVOKE ALL ON FUNCTION brigade_request_custom_domain(text, text), brigade_use_custom_domain(text), brigade_remove_custom_domain() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brigade_request_custom_domain(text, text), brigade_use_custom_domain(text), brigade_remove_custom_domain() TO brigade_app;
