-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Several orders per trip (issue 12, docs/trips.md): each driver's planned
-- sequence of stops, as the ETA trackers of the instances last stored it
-- (dispatch.driver_routes_set, functions/17-trips.sql). stops is a JSON
-- array of {"order_id","kind":"pickup"|"dropoff","eta":RFC 3339|null} in
-- driving order. updated_at: when the sequence last changed.
--
-- The event driver.route. A webhook may subscribe to every event type: there
-- are more than 8 now (DISPATCH_WEBHOOK_MAX_EVENTS of shared/dispatch-limits.h).

CREATE TABLE dispatch.driver_routes (
  driver_id  uuid        PRIMARY KEY REFERENCES dispatch.drivers (id) ON DELETE CASCADE,
  stops      jsonb       NOT NULL DEFAULT '[]'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE dispatch.webhooks DROP CONSTRAINT webhooks_events_check;
ALTER TABLE dispatch.webhooks
  ADD CONSTRAINT webhooks_events_check CHECK (cardinality(events) BETWEEN 1 AND 16);

ALTER TABLE dispatch.outbox DROP CONSTRAINT outbox_type_check;
ALTER TABLE dispatch.outbox ADD CONSTRAINT outbox_type_check CHECK (type IN (
  'order.created', 'order.updated', 'order.assigned', 'order.offer',
  'order.unassignable', 'driver.updated', 'driver.location', 'alert',
  'order.at_risk', 'order.arriving', 'order.arrived_at_stop', 'driver.route'));
