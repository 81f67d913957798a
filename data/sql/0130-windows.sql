-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Orders that are not "now" (issue 12): when the pickup is ready, the window
-- the dropoff must fall in, the pickup time the engine plans for, the
-- once-only at-risk alert; arrival alerts recorded once per stop; and the
-- event types they raise (data/sql/functions/12-windows.sql).

ALTER TABLE dispatch.orders
  ADD COLUMN ready_at timestamptz,
  ADD COLUMN deliver_after timestamptz,
  ADD COLUMN deliver_before timestamptz,
  -- ready_at, or the latest pickup that still reaches the dropoff by
  -- deliver_after (trip estimate), whichever is later; NULL: as soon as possible
  ADD COLUMN pickup_at timestamptz,
  ADD COLUMN at_risk_alerted_at timestamptz,
  -- when the order reached a terminal status (public tracking ends after it)
  ADD COLUMN ended_at timestamptz,
  ADD CONSTRAINT orders_window_order CHECK (deliver_after < deliver_before);

-- The open orders with a window not yet alerted (dispatch.alert_at_risk, each round).
CREATE INDEX orders_at_risk_watch_idx ON dispatch.orders (deliver_before)
  WHERE deliver_before IS NOT NULL AND at_risk_alerted_at IS NULL
    AND status IN ('pending', 'assigned', 'picked_up');

UPDATE dispatch.orders SET ended_at = updated_at
WHERE status IN ('delivered', 'cancelled', 'failed');

-- (re-defined with the other functions, 12-windows.sql)
CREATE FUNCTION dispatch.orders_mark_ended()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.ended_at := now();
  RETURN NEW;
END
$$;

-- (re-defined with the other functions, 12-windows.sql)
CREATE FUNCTION dispatch.orders_plan_pickup()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NEW;
END
$$;

-- pickup_at follows the times and the places it is planned from (PATCH moves places).
CREATE TRIGGER orders_plan_pickup
  BEFORE UPDATE OF ready_at, deliver_after, pickup_lat, pickup_lon, dropoff_lat, dropoff_lon
  ON dispatch.orders
  FOR EACH ROW WHEN (NEW.ready_at IS NOT NULL OR NEW.deliver_after IS NOT NULL
                     OR OLD.pickup_at IS NOT NULL)
  EXECUTE FUNCTION dispatch.orders_plan_pickup();

CREATE TRIGGER orders_mark_ended
  BEFORE UPDATE OF status ON dispatch.orders
  FOR EACH ROW WHEN (NEW.status IN ('delivered', 'cancelled', 'failed')
                     AND OLD.status NOT IN ('delivered', 'cancelled', 'failed'))
  EXECUTE FUNCTION dispatch.orders_mark_ended();

-- One row per order, stop and kind of arrival alert raised: the once-only record.
CREATE TABLE dispatch.order_stop_alerts (
  order_id    uuid        NOT NULL REFERENCES dispatch.orders (id) ON DELETE CASCADE,
  stop        text        NOT NULL CHECK (stop IN ('pickup', 'dropoff')),
  kind        text        NOT NULL CHECK (kind IN ('arriving', 'arrived')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, stop, kind)
);

ALTER TABLE dispatch.outbox DROP CONSTRAINT outbox_type_check;
ALTER TABLE dispatch.outbox ADD CONSTRAINT outbox_type_check CHECK (type IN (
  'order.created', 'order.updated', 'order.assigned', 'order.offer',
  'order.unassignable', 'driver.updated', 'driver.location', 'alert',
  'order.at_risk', 'order.arriving', 'order.arrived_at_stop'));
