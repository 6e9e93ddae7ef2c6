-- Every audited change extends its business's chain, so the link is made in one statement instead of two: the head
-- row is updated (which locks it, as the SELECT ... FOR UPDATE did) and hands back the new record's number, the hash
-- it follows and its own hash. A concurrent writer blocks on the head row; when it goes on, PostgreSQL evaluates the
-- SET again on the head as the winner left it, so the chain stays one line. The head keeps the hash before its last
-- (`prev_hash`) only so that the UPDATE can return it: RETURNING sees the row after the change. What a record's hash
-- covers is unchanged: the formula moves into audit_link_hash (a record's link from the number and the hash it follows),
-- and audit_row_hash, which verification uses, becomes that link for the row's own number and previous hash; both
-- inline, so there is one formula and the rows written before this migration verify as before.
ALTER TABLE audit_heads ADD COLUMN prev_hash bytea;

CREATE FUNCTION audit_link_hash(prev bytea, seq bigint, r audit_log) RETURNS bytea LANGUAGE sql STABLE AS $$
  SELECT sha256(prev || convert_to(concat_ws(chr(31),
    r.tenant_id::text, seq::text, r.id::text,
    to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    r.actor_type, coalesce(r.actor_id::text, '\N'), r.actor_label, r.action, r.resource_type,
    coalesce(r.resource_id, '\N'), coalesce(r.location_id::text, '\N'), r.risk, coalesce(r.ip, '\N'),
    coalesce(r.user_agent, '\N'), coalesce(r.request_id, '\N'), coalesce(r.changes::text, '\N')), 'UTF8'))
$$;

CREATE OR REPLACE FUNCTION audit_row_hash(r audit_log) RETURNS bytea LANGUAGE sql STABLE AS $$
  SELECT audit_link_hash(r.prev_hash, r.seq, r)
$$;

CREATE OR REPLACE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  NEW.at := clock_timestamp();
  UPDATE audit_heads h SET seq = h.seq + 1, prev_hash = h.hash, hash = audit_link_hash(h.hash, h.seq + 1, NEW)
   WHERE h.tenant_id = NEW.tenant_id
  RETURNING h.seq, h.prev_hash, h.hash INTO NEW.seq, NEW.prev_hash, NEW.hash;
  IF NOT FOUND THEN
    -- The business's first record: its head is created once. Two first records racing both get here; one insert
    -- wins, the other does nothing and then waits for the winner's lock on the head like any later writer.
    INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (NEW.tenant_id, 0, sha256(convert_to(NEW.tenant_id::text, 'UTF8')))
      ON CONFLICT (tenant_id) DO NOTHING;
    UPDATE audit_heads h SET seq = h.seq + 1, prev_hash = h.hash, hash = audit_link_hash(h.hash, h.seq + 1, NEW)
     WHERE h.tenant_id = NEW.tenant_id
    RETURNING h.seq, h.prev_hash, h.hash INTO STRICT NEW.seq, NEW.prev_hash, NEW.hash;
  END IF;
  RETURN NEW;
END $$;
