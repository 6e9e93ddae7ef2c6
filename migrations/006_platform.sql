-- Platform: plans with limits and features, the tenant lifecycle, per-tenant overrides, and the purge.

-- The plans Brigade is sold on. Limits are counts (null: unlimited); features are the modules and extras the
-- plan includes. Seed 001 gives employees, locations, storage and API calls; seed 003 queues per location,
-- users per tenant and requests per 15 minutes.
CREATE TABLE plans (
  code text PRIMARY KEY CHECK (code ~ '^[a-z_]{2,30}$'),
  name text NOT NULL,
  position integer NOT NULL UNIQUE,
  features text[] NOT NULL,
  limits jsonb NOT NULL CHECK (jsonb_typeof(limits) = 'object')
);

INSERT INTO plans (code, name, position, features, limits) VALUES
  ('basic', 'Basic', 1,
   ARRAY['waitlist', 'workforce', 'cash', 'foodsafety'],
   '{"employees": 25, "users": 5, "locations": 1, "queues_per_location": 3, "storage_bytes": 5368709120,
     "api_calls_per_day": 20000, "requests_per_15_minutes": 500}'),
  ('professional', 'Professional', 2,
   ARRAY['waitlist', 'workforce', 'cash', 'foodsafety', 'ordering', 'analytics', 'api_access', 'custom_branding'],
   '{"employees": 100, "users": 25, "locations": 5, "queues_per_location": 10, "storage_bytes": 21474836480,
     "api_calls_per_day": 100000, "requests_per_15_minutes": 2000}'),
  ('enterprise', 'Enterprise', 3,
   ARRAY['waitlist', 'workforce', 'cash', 'foodsafety', 'ordering', 'analytics', 'api_access', 'custom_branding',
         'custom_domain', 'sso'],
   '{"employees": 500, "users": null, "locations": null, "queues_per_location": 50, "storage_bytes": 107374182400,
     "api_calls_per_day": 1000000, "requests_per_15_minutes": 10000}');

ALTER TABLE tenants
  ADD COLUMN plan text NOT NULL DEFAULT 'professional' REFERENCES plans (code),
  ADD COLUMN trial_ends_at timestamptz,
  ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN cancelled_at timestamptz,
  -- The operator's exceptions to the plan: {"ordering": false} switches one module off for this tenant only,
  -- {"sso": true} grants an extra; {"locations": 12} raises a limit, null lifts it.
  ADD COLUMN feature_overrides jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(feature_overrides) = 'object'),
  ADD COLUMN limit_overrides jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(limit_overrides) = 'object'),
  ADD COLUMN version integer NOT NULL DEFAULT 1;
CREATE INDEX tenants_status_plan ON tenants (status, plan);

-- Every lifecycle step, with who took it and why: the operator's view of a tenant's history (both audit logs
-- record it too, but the tenant's own log is purged with the tenant and this is not).
CREATE TABLE tenant_status_changes (
  id uuid PRIMARY KEY,
  tenant_ref uuid NOT NULL REFERENCES tenants (id),
  from_status text NOT NULL,
  to_status text NOT NULL,
  reason text NOT NULL,
  actor_label text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_status_changes_tenant ON tenant_status_changes (tenant_ref, at DESC);

-- A cancelled business's owner downloads the full export with an emailed link for 30 days.
CREATE TABLE tenant_exports (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  token_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash)
);
SELECT brigade_isolate('tenant_exports');

REVOKE ALL ON plans, tenant_status_changes, tenant_exports FROM PUBLIC;
GRANT SELECT ON tenant_exports TO brigade_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON plans, tenant_status_changes, tenant_exports TO brigade_platform;

-- Removes every row a tenant owns, in every table with a tenant_id, whatever module added it. It runs as the
-- tables' owner because the audit trail is append-only for everyone else; it refuses a tenant that is not
-- cancelled, so no mistake on the platform path can erase a live business. Tables are emptied in passes:
-- a table still referenced by another tenant table's rows fails its pass and is retried after them.
CREATE FUNCTION brigade_purge_tenant(victim uuid) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  remaining text[];
  t text;
  progress boolean;
  n bigint;
  total bigint := 0;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenants WHERE id = victim AND status = 'cancelled') THEN
    RAISE EXCEPTION 'tenant % is not cancelled', victim USING ERRCODE = 'check_violation';
  END IF;
  -- Row-level security is forced on the owner too: bind the transaction to the tenant being removed.
  PERFORM set_config('app.tenant_id', victim::text, true);
  SELECT array_agg(c.relname::text ORDER BY c.relname) INTO remaining
    FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
   WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attname = 'tenant_id' AND NOT a.attisdropped;
  LOOP
    progress := false;
    FOREACH t IN ARRAY remaining LOOP
      BEGIN
        EXECUTE format('DELETE FROM %I WHERE tenant_id = $1', t) USING victim;
        GET DIAGNOSTICS n = ROW_COUNT;
        total := total + n;
        remaining := array_remove(remaining, t);
        progress := true;
      EXCEPTION WHEN foreign_key_violation THEN
        NULL;
      END;
    END LOOP;
    EXIT WHEN cardinality(remaining) = 0;
    IF NOT progress THEN
      RAISE EXCEPTION 'cannot purge tenant %: % still referenced', victim, remaining;
    END IF;
  END LOOP;
  UPDATE tenants SET status = 'purged', name = 'Purged business', custom_domain = NULL, status_changed_at = now(),
         updated_at = now(), version = version + 1
   WHERE id = victim;
  RETURN total;
END $$;
REVOKE ALL ON FUNCTION brigade_purge_tenant(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brigade_purge_tenant(uuid) TO brigade_platform;
