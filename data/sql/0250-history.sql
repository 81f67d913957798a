-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- History for replay (GET /api/v1/history, functions/18-history.sql): the
-- order events of a period are read by time. A BRIN index: the events are
-- written in time order, so block ranges stay tight, and it costs the hot
-- event writes almost nothing (a btree would be one more index per event).

CREATE INDEX outbox_occurred_brin_idx ON dispatch.outbox USING brin (occurred_at);
