-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Orders that are not "now" (migration 0130-windows.sql): ready times and
-- delivery windows, the pickup time the engine plans for, the order.at_risk
-- alert, arrival alerts once per stop, and the end of public tracking.

-- (the trigger of migration 0130) A terminal status records when the order ended.
CREATE OR REPLACE FUNCTION dispatch.orders_mark_ended()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.ended_at := now();
  RETURN NEW;
END
$$;

-- Seconds from the pickup to the dropoff without a driver to go by (docs/eta.md:
-- the great-circle distance × 1.3 at 7 m/s, plus 120 s at the pickup).
CREATE OR REPLACE FUNCTION dispatch.trip_estimate_s(o dispatch.orders)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
  SELECT dispatch.haversine_m(o.pickup_lat, o.pickup_lon, o.dropoff_lat, o.dropoff_lon)
         * 1.3 / 7.0 + 120.0
$$;

-- (the trigger of migration 0130) pickup_at, the pickup time the engine plans
-- for: ready_at, or the pickup that reaches the dropoff when deliver_after
-- opens, whichever is later (NULL: as soon as possible).
CREATE OR REPLACE FUNCTION dispatch.orders_plan_pickup()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.pickup_at := nullif(greatest(coalesce(NEW.ready_at, '-infinity'),
                                   coalesce(NEW.deliver_after - make_interval(
                                              secs => dispatch.trip_estimate_s(NEW)),
                                            '-infinity')), '-infinity');
  RETURN NEW;
END
$$;

-- The times of an order come with its INSERT (dispatch.order_create).
DROP FUNCTION IF EXISTS dispatch.order_set_times(dispatch.orders, jsonb);

-- The delivery time predicted for an open order: now + its ETA when the ETA
-- tracker has one, otherwise the planned (or immediate) pickup plus the trip.
CREATE OR REPLACE FUNCTION dispatch.predicted_delivery(o dispatch.orders)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN o.status IN ('assigned', 'picked_up') AND o.eta_seconds IS NOT NULL
      THEN now() + make_interval(secs => o.eta_seconds)
    ELSE greatest(now(), coalesce(o.pickup_at, now()))
         + make_interval(secs => dispatch.trip_estimate_s(o))
  END
$$;

-- Raises order.at_risk (data: the order, "at_risk" true, plus "predicted_delivery_at")
-- once for each open order with a deliver_before whose predicted delivery
-- (predicted_delivery) plus p_margin_s falls after it. Returns how many.
CREATE OR REPLACE FUNCTION dispatch.alert_at_risk(p_margin_s integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_o dispatch.orders;
  v_predicted timestamptz;
  v_n integer := 0;
BEGIN
  FOR v_o IN
    SELECT o.* FROM dispatch.orders o
    WHERE o.status IN ('pending', 'assigned', 'picked_up') AND o.deliver_before IS NOT NULL
      AND o.at_risk_alerted_at IS NULL
      AND dispatch.predicted_delivery(o)
          + make_interval(secs => greatest(coalesce(p_margin_s, 0), 0)) > o.deliver_before
    ORDER BY o.id
    FOR UPDATE SKIP LOCKED
  LOOP
    v_predicted := dispatch.predicted_delivery(v_o);
    -- bookkeeping, not a change of the order: updated_at stays
    UPDATE dispatch.orders SET at_risk_alerted_at = now() WHERE id = v_o.id
    RETURNING * INTO v_o;
    PERFORM dispatch.emit('order.at_risk', v_o.id, v_o.driver_id, 'system',
                          dispatch.order_json(v_o)
                          || jsonb_build_object('predicted_delivery_at',
                                                dispatch.ts_json(v_predicted)));
    v_n := v_n + 1;
  END LOOP;
  RETURN v_n;
END
$$;

-- An arrival alert for stop p_stop ('pickup' | 'dropoff') of order p_order_id,
-- driven by driver p_driver_id: p_kind 'arriving' (within the configured time
-- or distance; emits order.arriving) or 'arrived' (inside the stop's radius
-- and slow; emits order.arrived_at_stop). Raised once per order, stop and
-- kind, and only while the driver still has the order on its way to that stop
-- (pickup: assigned; dropoff: picked_up); the status does not change. The
-- event's data is the order with "arrival":{"stop","eta_seconds","distance_m"}.
-- Returns whether the event was raised.
CREATE OR REPLACE FUNCTION dispatch.order_stop_alert(p_order_id text, p_driver_id text,
                                                     p_stop text, p_kind text,
                                                     p_eta_seconds integer,
                                                     p_distance_m double precision)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_o dispatch.orders;
BEGIN
  SELECT * INTO v_o FROM dispatch.orders
  WHERE id = dispatch.to_uuid(p_order_id) AND driver_id = dispatch.to_uuid(p_driver_id)
    AND status = CASE p_stop WHEN 'pickup' THEN 'assigned' ELSE 'picked_up' END;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  INSERT INTO dispatch.order_stop_alerts (order_id, stop, kind)
  VALUES (v_o.id, p_stop, p_kind)
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM dispatch.emit(CASE p_kind WHEN 'arriving' THEN 'order.arriving'
                                    ELSE 'order.arrived_at_stop' END,
                        v_o.id, v_o.driver_id, 'system',
                        dispatch.order_json(v_o)
                        || jsonb_build_object('arrival', jsonb_build_object(
                             'stop', p_stop,
                             'eta_seconds', greatest(p_eta_seconds, 0),
                             'distance_m', round(p_distance_m::numeric, 1))));
  RETURN true;
END
$$;
