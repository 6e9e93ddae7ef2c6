-- A business's transaction reads its own row of tenants and no other business's: the runtime role's one grant on the
-- table (SELECT, for the business's own settings and address) is limited by a policy like every tenant table's. The
-- platform path bypasses it (BYPASSRLS) and the owner's functions are not bound by it (not forced), so host
-- resolution, the back office and the business's own SECURITY DEFINER changes work as before.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_business ON tenants FOR SELECT TO brigade_app USING (id = current_tenant_id());

-- Whether another business already has this address: the one thing a business asking for a domain must learn about
-- the others, and nothing more.
CREATE FUNCTION brigade_custom_domain_taken(p_domain text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (SELECT 1 FROM tenants WHERE custom_domain = p_domain AND id <> bound_tenant_id())
$$;
REVOKE ALL ON FUNCTION brigade_custom_domain_taken(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brigade_custom_domain_taken(text) TO brigade_app;
