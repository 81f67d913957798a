-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Report summaries (docs/reports.md): what the reports read instead of every
-- order of a period. Kept by the triggers of functions/20-report-summary.sql
-- in the transaction of the change they record; filled for the rows already
-- there by dispatch.report_summary_rebuild() once, when report_summary_state
-- says so (at the first start of a dispatchd that has that function).

-- One row per UTC hour and per UTC day (unit) and per zone (dim 'z') or per
-- driver (dim 'd'). Order figures count the ended orders (closed_at set)
-- created in the row's hour or day, by the zone of the order (the nil uuid:
-- unzoned) or by the driver it was last assigned to (the nil uuid: never
-- assigned); the *_hist arrays count them by duration bucket
-- (dispatch.report_hist_bucket, subscripts are buckets, NULL elements
-- zero). Driver rows also hold the seconds the driver spent online and busy
-- within the row's hour or day (closed sessions and ended orders only; busy
-- is the union of the driver's orders' assigned → closed intervals).
CREATE TABLE dispatch.report_summary (
  unit          text             NOT NULL CHECK (unit IN ('hour', 'day')),
  start_at      timestamptz      NOT NULL,
  dim           "char"           NOT NULL CHECK (dim IN ('z', 'd')),
  key           uuid             NOT NULL,
  created       bigint           NOT NULL DEFAULT 0,
  delivered     bigint           NOT NULL DEFAULT 0,
  failed        bigint           NOT NULL DEFAULT 0,
  cancelled     bigint           NOT NULL DEFAULT 0,
  on_time       bigint           NOT NULL DEFAULT 0,
  promised      bigint           NOT NULL DEFAULT 0,
  assign_hist   integer[]        NOT NULL DEFAULT '{}',
  pickup_hist   integer[]        NOT NULL DEFAULT '{}',
  delivery_hist integer[]        NOT NULL DEFAULT '{}',
  eta_hist      integer[]        NOT NULL DEFAULT '{}',
  online_s      double precision NOT NULL DEFAULT 0,
  busy_s        double precision NOT NULL DEFAULT 0,
  PRIMARY KEY (unit, dim, start_at, key)
);

-- The union of each driver's ended orders' busy intervals (assigned_at →
-- closed_at), merged: spans of one driver never overlap.
CREATE TABLE dispatch.driver_busy_spans (
  driver_id  uuid        NOT NULL REFERENCES dispatch.drivers (id) ON DELETE CASCADE,
  busy_from  timestamptz NOT NULL,
  busy_until timestamptz NOT NULL,
  PRIMARY KEY (driver_id, busy_from),
  CHECK (busy_until > busy_from)
);
CREATE INDEX driver_busy_spans_until_idx ON dispatch.driver_busy_spans (driver_id, busy_until);

-- Reports read the orders not ended yet straight from the table.
CREATE INDEX orders_open_created_idx ON dispatch.orders (created_at) WHERE closed_at IS NULL;

-- built = false: the summary does not hold the rows that were there before
-- this migration yet.
CREATE TABLE dispatch.report_summary_state (
  built boolean NOT NULL
);
INSERT INTO dispatch.report_summary_state VALUES (false);
