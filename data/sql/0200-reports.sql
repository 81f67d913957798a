-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Reports (GET /api/v1/reports/orders): what the figures need that the
-- tables did not keep. The triggers that fill these live in
-- functions/16-reports.sql (same transaction as the change they record).

-- The first delivery time promised for an order: now() + eta_seconds when
-- the order first got an ETA. Later ETAs never move it (on-time rate and
-- ETA error are measured against it).
ALTER TABLE dispatch.orders ADD COLUMN promised_at timestamptz;

-- Online sessions of drivers: one row per stretch online; online_until is
-- NULL while the driver is still online.
CREATE TABLE dispatch.driver_sessions (
  driver_id    uuid        NOT NULL REFERENCES dispatch.drivers (id) ON DELETE CASCADE,
  online_from  timestamptz NOT NULL,
  online_until timestamptz,
  PRIMARY KEY (driver_id, online_from),
  CHECK (online_until IS NULL OR online_until >= online_from)
);
CREATE INDEX driver_sessions_from_idx ON dispatch.driver_sessions (online_from);
CREATE UNIQUE INDEX driver_sessions_open_idx ON dispatch.driver_sessions (driver_id)
  WHERE online_until IS NULL;

-- Drivers online at the upgrade: a session from when they were last heard of.
INSERT INTO dispatch.driver_sessions (driver_id, online_from)
SELECT id, coalesce(last_seen_at, updated_at) FROM dispatch.drivers WHERE online;
