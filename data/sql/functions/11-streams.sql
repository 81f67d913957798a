-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- What the websocket streams read once per connection (or once at start);
-- everything after that comes from the bus.

-- The newest p_limit (clamped to 1..10000) published events, oldest first:
-- rows (seq bigint, envelope jsonb). Fills the resume ring at start.
CREATE OR REPLACE FUNCTION dispatch.stream_recent_events(p_limit integer)
RETURNS TABLE (seq bigint, envelope jsonb)
LANGUAGE sql STABLE AS $$
  SELECT e.seq, e.envelope
  FROM dispatch.events_since(
         (SELECT s.last_seq FROM dispatch.relay_state s WHERE s.id = 1)
           - least(greatest(coalesce(p_limit, 1000), 1), 10000),
         p_limit) e
$$;

-- The order object behind a public tracking token (the public stream follows
-- the order's driver, which the public object does not name); unknown →
-- NULL, exactly as track_public.
CREATE OR REPLACE FUNCTION dispatch.track_public_order(p_token text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT dispatch.order_json(o)
  FROM dispatch.orders o
  WHERE o.id = (dispatch.track_public(p_token) ->> 'order_id')::uuid
$$;

-- The first frame of a driver's stream: {"seq","orders","drivers"} with the
-- orders the driver holds (assigned, picked up) or is offered (live offer),
-- oldest first, and [the driver]; one statement, so every event with seq <=
-- "seq" is reflected. Unknown driver → not_found. (The caller checks who may.)
CREATE OR REPLACE FUNCTION dispatch.driver_stream_snapshot(p_driver_id text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_d dispatch.drivers;
BEGIN
  SELECT * INTO v_d FROM dispatch.drivers WHERE id = dispatch.to_uuid(p_driver_id);
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'no such driver');
  END IF;
  RETURN jsonb_build_object(
    'seq', (SELECT s.last_seq FROM dispatch.relay_state s WHERE s.id = 1),
    -- (drivers never get the tracking token: dispatch.order_for)
    'orders', (SELECT coalesce(jsonb_agg(dispatch.order_json(o) - 'tracking_token'
                                         ORDER BY o.created_at, o.id), '[]'::jsonb)
               FROM dispatch.orders o
               WHERE (o.driver_id = v_d.id AND o.status IN ('assigned', 'picked_up'))
                  OR (o.offer_driver_id = v_d.id AND o.status = 'pending'
                      AND o.offer_expires_at > now())),
    'drivers', jsonb_build_array(dispatch.driver_json(v_d)));
END
$$;
