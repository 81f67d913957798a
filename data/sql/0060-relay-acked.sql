-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Cluster mode (KAFKA_BROKERS): an event is numbered by relay_claim (seq) and
-- published once Kafka acknowledged it. The relay leader reports the highest
-- seq below which every event is acknowledged (relay_ack); a new leader first
-- publishes the numbered events above it again, with the same seq. The
-- in-process bus (single node) publishes at numbering and leaves acked_seq
-- behind; nothing reads it there. Functions: relay_ack, relay_status
-- (functions/06-relay.sql).

ALTER TABLE dispatch.relay_state ADD COLUMN acked_seq bigint NOT NULL DEFAULT 0;
UPDATE dispatch.relay_state SET acked_seq = last_seq;
