-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- The outbox relay and the stream snapshot (see migration 0007-relay.sql for
-- why seq is given by the relay and not by the writers).

-- Envelope of an event: {"id","seq","type","occurred_at","data"}.
CREATE OR REPLACE FUNCTION dispatch.envelope_json(e dispatch.outbox, p_seq bigint)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', e.event_id, 'seq', p_seq, 'type', e.type,
                            'occurred_at', dispatch.ts_json(e.occurred_at), 'data', e.data)
$$;

-- Gives the oldest (by id) at most p_limit (NULL → 1000, clamped to 1..10000)
-- committed unnumbered events the next seq values, marks them published, and
-- returns them in seq order as rows (seq bigint, envelope jsonb). Call it in a
-- transaction of its own (autocommit): the lock is held until it commits.
CREATE OR REPLACE FUNCTION dispatch.relay_claim(p_limit integer)
RETURNS TABLE (seq bigint, envelope jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_last bigint;
  v_n bigint;
  v_limit integer := least(greatest(coalesce(p_limit, 1000), 1), 10000);
BEGIN
  -- Nothing to number (the relay's poll, mostly): return before taking the
  -- lock and the row lock, which would cost a transaction ID and a WAL flush.
  IF NOT EXISTS (SELECT 1 FROM dispatch.outbox_pending) THEN
    RETURN;
  END IF;
  -- 7144650001: the relay's lock (7144650002: ensure_first_admin)
  PERFORM pg_advisory_xact_lock(7144650001);
  SELECT s.last_seq INTO v_last FROM dispatch.relay_state s WHERE s.id = 1 FOR UPDATE;

  RETURN QUERY
  WITH picked AS (
    SELECT p.id, v_last + row_number() OVER (ORDER BY p.id) AS new_seq
    FROM (SELECT q.id FROM dispatch.outbox_pending q ORDER BY q.id LIMIT v_limit) p
  ), dequeued AS (
    DELETE FROM dispatch.outbox_pending q USING picked p WHERE q.id = p.id
  ), numbered AS (
    INSERT INTO dispatch.outbox_seq (seq, outbox_id)
    SELECT p.new_seq, p.id FROM picked p
    RETURNING outbox_seq.seq, outbox_seq.outbox_id
  )
  -- A lookup per event, not a join: planned for up to v_limit rows, a join
  -- hashes the whole outbox at every claim while it is small (a fifth of the
  -- database's CPU per order in bench-orders.sh), and claims are mostly small.
  SELECT n.seq, (SELECT dispatch.envelope_json(e, n.seq) FROM dispatch.outbox e
                 WHERE e.id = n.outbox_id)
  FROM numbered n
  ORDER BY n.seq;

  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n > 0 THEN
    UPDATE dispatch.relay_state s SET last_seq = v_last + v_n WHERE s.id = 1;
  END IF;
  RETURN;
END
$$;

-- Published events after p_after_seq (exclusive), oldest first, at most
-- p_limit (NULL → 1000, clamped to 1..10000): rows (seq bigint, envelope
-- jsonb). For resuming streams from the database and for event replay.
CREATE OR REPLACE FUNCTION dispatch.events_since(p_after_seq bigint, p_limit integer)
RETURNS TABLE (seq bigint, envelope jsonb)
LANGUAGE sql STABLE AS $$
  SELECT s.seq, dispatch.envelope_json(e, s.seq)
  FROM dispatch.outbox_seq s
  JOIN dispatch.outbox e ON e.id = s.outbox_id
  WHERE s.seq > coalesce(p_after_seq, 0)
  ORDER BY s.seq
  LIMIT least(greatest(coalesce(p_limit, 1000), 1), 10000)
$$;

-- The dispatcher stream's snapshot {"seq","orders":[open orders],"drivers":[all
-- drivers]} is kept in memory (server/ws/dsd-snapshot-store.c), loaded at
-- start in pages, a short statement each whatever the size of the fleet: the
-- last seq given out first (stream_snapshot_seq(), 0 before any), then the
-- open orders and the drivers a page at a time. Every page reflects at least
-- every event up to that seq (later ones may be reflected too; they carry full
-- objects, so the store applying the events after the seq ends up right).
CREATE OR REPLACE FUNCTION dispatch.stream_snapshot_seq()
RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT s.last_seq FROM dispatch.relay_state s WHERE s.id = 1
$$;

-- Open orders (pending, assigned, picked_up), oldest first, after the one
-- whose key is p_after (NULL: from the first), at most p_limit: rows (key for
-- the next page, id, created_at as in the order, zone_id, eta_seconds as JSON,
-- the order without eta_seconds), the ETA apart because it changes without
-- an event.
CREATE OR REPLACE FUNCTION dispatch.stream_store_orders(p_after text, p_limit integer)
RETURNS TABLE (key text, id text, sort text, zone_id text, head text, body text)
LANGUAGE sql STABLE AS $$
  SELECT o.id || o.created_at::text, o.id::text, dispatch.ts_json(o.created_at), o.zone_id::text,
         coalesce(o.eta_seconds::text, 'null'), (dispatch.order_json(o) - 'eta_seconds')::text
  FROM dispatch.orders o
  WHERE o.status IN ('pending', 'assigned', 'picked_up')
    AND (p_after IS NULL OR (o.created_at, o.id) > (substr(p_after, 37)::timestamptz,
                                                   left(p_after, 36)::uuid))
  ORDER BY o.created_at, o.id
  LIMIT p_limit
$$;

-- Drivers by name after the one whose key is p_after (NULL: from the first),
-- at most p_limit: rows (key for the next page, id, name, the location's time
-- in Unix microseconds, the location as JSON, the driver without location),
-- the location apart because it moves without an event.
CREATE OR REPLACE FUNCTION dispatch.stream_store_drivers(p_after text, p_limit integer)
RETURNS TABLE (key text, id text, sort text, location_at_us text, head text, body text)
LANGUAGE sql STABLE AS $$
  SELECT d.id || d.name, d.id::text, d.name,
         (extract(epoch FROM d.location_at) * 1000000)::bigint::text,
         coalesce((j -> 'location')::text, 'null'), (j - 'location')::text
  FROM dispatch.drivers d,
       LATERAL (SELECT dispatch.driver_json(d, dispatch.driver_active_orders(d.id)) AS j) x
  WHERE (p_after IS NULL OR (d.name, d.id) > (substr(p_after, 37), left(p_after, 36)::uuid))
  ORDER BY d.name, d.id
  LIMIT p_limit
$$;

-- Replaced by the two above (the snapshot is no longer read per client).
DROP FUNCTION IF EXISTS dispatch.stream_snapshot_orders(text, integer, uuid[]);
DROP FUNCTION IF EXISTS dispatch.stream_snapshot_drivers(text, integer, uuid[]);

-- Replaced by the ones above (v0.1.0 created it in 0007-relay.sql).
DROP FUNCTION IF EXISTS dispatch.stream_snapshot();

-- Cluster mode (migration 0060-relay-acked.sql).

-- Every event up to p_seq is acknowledged by Kafka. Never moves back, never
-- past the last numbered event.
CREATE OR REPLACE FUNCTION dispatch.relay_ack(p_seq bigint)
RETURNS void LANGUAGE sql AS $$
  UPDATE dispatch.relay_state s
  SET acked_seq = greatest(s.acked_seq, least(p_seq, s.last_seq))
  WHERE s.id = 1
$$;

-- One row: last_seq (numbered), acked_seq, unnumbered (committed events not
-- numbered yet), unacked_age_s (seconds since the oldest event that is not
-- acknowledged yet was committed; 0 when none).
CREATE OR REPLACE FUNCTION dispatch.relay_status()
RETURNS TABLE (last_seq bigint, acked_seq bigint, unnumbered bigint, unacked_age_s double precision)
LANGUAGE sql STABLE AS $$
  SELECT s.last_seq, s.acked_seq,
         (SELECT count(*) FROM dispatch.outbox_pending),
         coalesce(extract(epoch FROM now() - (
           SELECT min(e.occurred_at) FROM dispatch.outbox e
           WHERE e.id = least(
             (SELECT min(p.id) FROM dispatch.outbox_pending p),
             (SELECT q.outbox_id FROM dispatch.outbox_seq q WHERE q.seq = s.acked_seq + 1)))),
           0)::double precision
  FROM dispatch.relay_state s WHERE s.id = 1
$$;

-- Numbered events for a replay (dispatchctl replay): seq in [p_from_seq,
-- p_to_seq] and committed in [p_since, p_until) (NULL: unbounded), after
-- p_after_seq, oldest first, at most p_limit (clamped to 1..10000): rows
-- (seq bigint, envelope jsonb).
CREATE OR REPLACE FUNCTION dispatch.events_for_replay(p_after_seq bigint, p_from_seq bigint,
                                                      p_to_seq bigint, p_since timestamptz,
                                                      p_until timestamptz, p_limit integer)
RETURNS TABLE (seq bigint, envelope jsonb)
LANGUAGE sql STABLE AS $$
  SELECT s.seq, dispatch.envelope_json(e, s.seq)
  FROM dispatch.outbox_seq s
  JOIN dispatch.outbox e ON e.id = s.outbox_id
  WHERE s.seq > greatest(coalesce(p_after_seq, 0), coalesce(p_from_seq, 1) - 1)
    AND (p_to_seq IS NULL OR s.seq <= p_to_seq)
    AND (p_since IS NULL OR e.occurred_at >= p_since)
    AND (p_until IS NULL OR e.occurred_at < p_until)
  ORDER BY s.seq
  LIMIT least(greatest(coalesce(p_limit, 1000), 1), 10000)
$$;
