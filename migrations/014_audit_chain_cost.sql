-- The audit chain costs every audited change, so it is kept cheap; what it computes is unchanged, and rows written
-- before this migration verify as before.
--
-- audit_row_hash is STABLE, not IMMUTABLE: to_char is STABLE, and PostgreSQL inlines a SQL function into the
-- calling expression only when the function claims no more than its body is. Inlined, the trigger evaluates the hash
-- as one expression instead of starting a SQL function (parsing and planning its body) for every record. Its format
-- has no locale-dependent field, so the hash is the same whatever the session's settings.
CREATE OR REPLACE FUNCTION audit_row_hash(r audit_log) RETURNS bytea LANGUAGE sql STABLE AS $$
  SELECT sha256(r.prev_hash || convert_to(concat_ws(chr(31),
    r.tenant_id::text, r.seq::text, r.id::text,
    to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    r.actor_type, coalesce(r.actor_id::text, '\N'), r.actor_label, r.action, r.resource_type,
    coalesce(r.resource_id, '\N'), coalesce(r.location_id::text, '\N'), r.risk, coalesce(r.ip, '\N'),
    coalesce(r.user_agent, '\N'), coalesce(r.request_id, '\N'), coalesce(r.changes::text, '\N')), 'UTF8'))
$$;

-- The chain head is created once per business, not tried at every record: the insert that found the head already
-- there still waited for whichever transaction held it, so each writer queued twice, once for the insert and once
-- for the lock. Two first records racing both find no head; one insert wins, the other does nothing and then waits
-- for the winner's lock like any later writer.
CREATE OR REPLACE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  head_seq bigint;
  head_hash bytea;
BEGIN
  SELECT seq, hash INTO head_seq, head_hash FROM audit_heads WHERE tenant_id = NEW.tenant_id FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (NEW.tenant_id, 0, sha256(convert_to(NEW.tenant_id::text, 'UTF8')))
      ON CONFLICT (tenant_id) DO NOTHING;
    SELECT seq, hash INTO STRICT head_seq, head_hash FROM audit_heads WHERE tenant_id = NEW.tenant_id FOR UPDATE;
  END IF;
  NEW.seq := head_seq + 1;
  NEW.at := clock_timestamp();
  NEW.prev_hash := head_hash;
  NEW.hash := audit_row_hash(NEW);
  UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE tenant_id = NEW.tenant_id;
  RETURN NEW;
END $$;
