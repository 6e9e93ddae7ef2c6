-- A join reads its queue in one prepared statement, and PostgreSQL initialises that statement's whole plan at every
-- execution: the subqueries of CASE branches it does not take included. While the line's kept end holds (migration
-- 015) the join needs neither the line nor the parties at table, and only a queue with a daily cap needs today's
-- joins; yet initialising their aggregates and scans was about a tenth of PostgreSQL's time per join. Behind a
-- function call, a branch not taken costs one expression node; the function plans its query once per connection,
-- when it is first called. They run as the caller (row-level security applies) and read what the subqueries read.

-- The waiting line's party sizes, front first.
CREATE FUNCTION waitlist_line_sizes(p_tenant uuid, p_queue uuid) RETURNS integer[] LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT coalesce(array_agg(e.party_size ORDER BY e.position), '{}')
            FROM waitlist_entries e
           WHERE e.tenant_id = p_tenant AND e.queue_id = p_queue AND e.status = 'waiting');
END $$;

-- The parties at the queue's tables (seated in the last 12 hours, or called in the last 2): their sizes, and the
-- minutes each has been seated (0 while only called), as `lineupOf` in the service reads them.
CREATE FUNCTION waitlist_tables_taken(p_tenant uuid, p_queue uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT json_build_object('sizes', coalesce(array_agg(e.party_size), '{}'),
                                   'minutes', coalesce(array_agg(coalesce(extract(epoch FROM now() - e.seated_at)::float8 / 60, 0)), '{}'))
            FROM waitlist_entries e
           WHERE e.tenant_id = p_tenant AND e.queue_id = p_queue
             AND ((e.status = 'seated' AND e.seated_at > now() - interval '12 hours')
               OR (e.status = 'called' AND e.called_at > now() - interval '2 hours')));
END $$;

-- The guests who joined the queue on a business day (its daily cap counts them).
CREATE FUNCTION waitlist_joined_on(p_tenant uuid, p_queue uuid, p_day date) RETURNS integer LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT count(*)::int FROM waitlist_entries e WHERE e.tenant_id = p_tenant AND e.queue_id = p_queue AND e.business_date = p_day);
END $$;
