-- The shared counters (rate limits, and the wrong sign-ins of emails nobody has) are keyed by addresses and emails of
-- every business. The runtime role used to read and write the table itself, so one statement in any business's
-- transaction could list other businesses' visitors or reset their limits. Now it may only count, through these
-- owner's functions, a key it already knows; the table itself it cannot touch.

-- One more hit (or a batch of them) on a key: the count and the milliseconds until the window ends.
CREATE FUNCTION brigade_count_hit(p_key text, p_window_ms float8, p_add integer) RETURNS TABLE (hits integer, ttl integer)
  LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
  INSERT INTO rate_limit_counters AS c (key, hits, reset_at) VALUES (p_key, p_add, clock_timestamp() + make_interval(secs => p_window_ms / 1000))
  ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN c.reset_at <= clock_timestamp() THEN p_add ELSE c.hits + p_add END,
    reset_at = CASE WHEN c.reset_at <= clock_timestamp() THEN excluded.reset_at ELSE c.reset_at END
  RETURNING c.hits, greatest(0, ceil(extract(epoch FROM c.reset_at - clock_timestamp()) * 1000))::int
$$;

-- A wrong sign-in for an email nobody has at the bound business, counted like a person's (identity/service.ts
-- unknownEmailFailure): no expiry before the lock, a lock of p_lock_minutes at p_max, a fresh count after it.
CREATE FUNCTION brigade_unknown_email_failure(p_email text, p_max integer, p_lock_minutes integer) RETURNS TABLE (hits integer, locked_for integer)
  LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
  INSERT INTO rate_limit_counters AS c (key, hits, reset_at) VALUES ('identity.sign_in_failures:' || bound_tenant_id() || ':' || p_email, 1, 'infinity')
  ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN c.hits >= p_max AND c.reset_at <= now() THEN 1 ELSE c.hits + 1 END,
    reset_at = CASE WHEN c.hits >= p_max AND c.reset_at > now() THEN c.reset_at
                    WHEN c.hits + 1 = p_max THEN now() + make_interval(mins => p_lock_minutes)
                    ELSE 'infinity' END
  RETURNING c.hits, CASE WHEN c.hits >= p_max THEN ceil(extract(epoch FROM c.reset_at - now()))::int END
$$;

REVOKE ALL ON FUNCTION brigade_count_hit(text, float8, integer), brigade_unknown_email_failure(text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION brigade_count_hit(text, float8, integer), brigade_unknown_email_failure(text, integer, integer) TO brigade_app;
REVOKE ALL ON rate_limit_counters FROM brigade_app;
