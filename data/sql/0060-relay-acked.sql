-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Cluster mode (KAFKA_BROKERS): an event is numbered by relay_claim (seq) and
-- published once Kafka acknowledged it. The relay leader reports the highest
-- seq below which every event is acknowledged (relay_ack); a new leader first
-- publishes the numbered events above it again, with the same seq. The
-- in-process bus (single node) publishes at numbering and leaves acked_seq
-- behind; nothing reads it there.

ALTER TABLE dispatch.relay_state ADD COLUMN acked_seq bigint NOT NULL DEFAULT 0;
UPDATE dispatch.relay_state SET acked_seq = last_seq;

-- Every event up to p_seq is acknowledged by Kafka. Never moves back, never
-- past the last numbered event.
CREATE FUNCTION dispatch.relay_ack(p_seq bigint)
RETURNS void LANGUAGE sql AS $$
  UPDATE dispatch.relay_state s
  SET acked_seq = greatest(s.acked_seq, least(p_seq, s.last_seq))
  WHERE s.id = 1
$$;

-- One row: last_seq (numbered), acked_seq, unnumbered (committed events not
-- numbered yet), unacked_age_s (seconds since the oldest event that is not
-- acknowledged yet was committed; 0 when none).
CREATE FUNCTION dispatch.relay_status()
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
