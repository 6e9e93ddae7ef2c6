-- The credential lookup runs on every request. As a plpgsql function its statements are planned once per
-- connection and then reuse the cached plan; as ad-hoc SQL each request paid for planning a four-table join
-- under row-level security (2.5 ms cold, measured). SECURITY INVOKER: it runs as the runtime role, under RLS,
-- bound to the tenant the token names; it sees nothing the caller could not.
CREATE FUNCTION session_principal(p_tenant uuid, p_token_hash bytea)
RETURNS TABLE (session_id uuid, user_id uuid, kind text, kiosk_id uuid, kiosk_location_id uuid, name text, email text, roles json)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
#variable_conflict use_column
BEGIN
  PERFORM set_config('app.tenant_id', p_tenant::text, true);
  -- Slide the idle window, at most twice a minute per session, never past the absolute expiry.
  UPDATE sessions s SET last_seen_at = now(), idle_expires_at = least(s.expires_at, now() + make_interval(secs => s.idle_seconds))
   WHERE s.tenant_id = p_tenant AND s.token_hash = p_token_hash AND s.revoked_at IS NULL
     AND s.idle_expires_at > now() AND s.expires_at > now() AND s.last_seen_at < now() - interval '30 seconds';
  RETURN QUERY
    SELECT s.id, s.user_id, s.kind, s.kiosk_id, k.location_id, u.name, u.email,
           (SELECT coalesce(json_agg(json_build_object('role', r.role, 'location_id', r.location_id)), '[]'::json)
              FROM role_assignments r WHERE r.tenant_id = s.tenant_id AND r.user_id = s.user_id)
      FROM sessions s
      JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id AND u.status = 'active'
      LEFT JOIN kiosks k ON k.tenant_id = s.tenant_id AND k.id = s.kiosk_id
     WHERE s.tenant_id = p_tenant AND s.token_hash = p_token_hash AND s.revoked_at IS NULL
       AND s.idle_expires_at > now() AND s.expires_at > now()
       AND (s.kiosk_id IS NULL OR k.revoked_at IS NULL);
END $$;

GRANT EXECUTE ON FUNCTION session_principal(uuid, bytea) TO brigade_app;
