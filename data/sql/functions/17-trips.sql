-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Several orders per trip (migration 0220-trips.sql, docs/trips.md): the
-- driver's route, its driver.route event and GET /drivers/{id}/route.

-- Whether stop p_kind of order p_o is still ahead of driver p_driver_id: a
-- pickup while the order is assigned to it, a dropoff while assigned or
-- picked up by it.
CREATE OR REPLACE FUNCTION dispatch.route_stop_open(p_o dispatch.orders, p_driver_id uuid,
                                                    p_kind text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT p_o.driver_id = p_driver_id
         AND CASE p_kind WHEN 'pickup' THEN p_o.status = 'assigned'
                         WHEN 'dropoff' THEN p_o.status IN ('assigned', 'picked_up')
                         ELSE false END
$$;

-- One stop of a route: the order's location object of that kind (as in the
-- order object), the ETA (RFC 3339 or null) and the order's ready_at and
-- deliver_before when it has them.
CREATE OR REPLACE FUNCTION dispatch.route_stop_json(p_o dispatch.orders, p_kind text,
                                                    p_eta text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
           'order_id', p_o.id,
           'kind', p_kind,
           'location', dispatch.order_json(p_o) -> p_kind,
           'eta', p_eta)
         || CASE WHEN p_o.ready_at IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('ready_at', dispatch.ts_json(p_o.ready_at)) END
         || CASE WHEN p_o.deliver_before IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('deliver_before',
                                         dispatch.ts_json(p_o.deliver_before)) END
$$;

-- The route object of driver p_driver_id: {"driver_id","stops":[…],"updated_at"}.
-- The stored sequence's stops that are still ahead, then (the trackers have
-- not planned them yet) the driver's other open stops by assignment time,
-- pickups first, without ETA. updated_at: when the sequence last changed (the
-- driver's own updated_at before its first route).
CREATE OR REPLACE FUNCTION dispatch.driver_route_json(p_driver_id uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  WITH planned AS (
    SELECT s.ordinality AS n, s.value ->> 'order_id' AS order_id, s.value ->> 'kind' AS kind,
           s.value ->> 'eta' AS eta
    FROM dispatch.driver_routes r, jsonb_array_elements(r.stops) WITH ORDINALITY s
    WHERE r.driver_id = p_driver_id
  ), open AS (
    SELECT o, k.kind
    FROM dispatch.orders o, (VALUES ('pickup'), ('dropoff')) k (kind)
    WHERE o.driver_id = p_driver_id AND o.status IN ('assigned', 'picked_up')
      AND dispatch.route_stop_open(o, p_driver_id, k.kind)
  ), stops AS (
    SELECT dispatch.route_stop_json(open.o, open.kind, p.eta) AS stop,
           coalesce(p.n, 1000000) AS n, (open.o).assigned_at AS assigned_at,
           open.kind = 'dropoff' AS is_dropoff, (open.o).id AS id
    FROM open
    LEFT JOIN planned p ON p.order_id = (open.o).id::text AND p.kind = open.kind
  )
  SELECT jsonb_build_object(
    'driver_id', d.id,
    'stops', coalesce((SELECT jsonb_agg(s.stop ORDER BY s.n, s.is_dropoff, s.assigned_at, s.id)
                       FROM stops s), '[]'::jsonb),
    'updated_at', dispatch.ts_json(coalesce(r.updated_at, d.updated_at)))
  FROM dispatch.drivers d
  LEFT JOIN dispatch.driver_routes r ON r.driver_id = d.id
  WHERE d.id = p_driver_id
$$;

-- GET /drivers/{id}/route: staff in scope of the driver's teams, or the
-- driver itself (dispatch.driver_access).
CREATE OR REPLACE FUNCTION dispatch.driver_route(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_id uuid := dispatch.driver_access(p_actor, p_id, 'read a route');
  v_route jsonb;
BEGIN
  v_route := dispatch.driver_route_json(v_id);
  IF v_route IS NULL THEN
    PERFORM dispatch.raise_error('not_found', 'no such driver');
  END IF;
  RETURN v_route;
END
$$;

-- The sequence of stored stops p_stops: [[order_id, kind], …].
CREATE OR REPLACE FUNCTION dispatch.route_sequence(p_stops jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_array(e.value ->> 'order_id', e.value ->> 'kind')
                            ORDER BY e.ordinality), '[]'::jsonb)
  FROM jsonb_array_elements(p_stops) WITH ORDINALITY e
$$;

-- Stores the routes the ETA tracker planned: p_routes a JSON array of
-- {"driver_id","stops":[{"order_id","kind","eta_s"}]} (eta_s: seconds from
-- now, or null). Stops no longer ahead of the driver are left out. When a
-- driver's sequence of stops differs from the stored one, updated_at moves
-- and driver.route is emitted (data: dispatch.driver_route_json); new ETAs
-- alone are stored without an event. Several instances store the same
-- plans: the second finds nothing changed. Rows are locked in driver order.
CREATE OR REPLACE FUNCTION dispatch.driver_routes_set(p_routes jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_route record;
  v_stops jsonb;
  v_old jsonb;
  v_driver uuid;
BEGIN
  FOR v_route IN
    SELECT dispatch.to_uuid(x.value ->> 'driver_id') AS driver_id, x.value -> 'stops' AS stops
    FROM jsonb_array_elements(p_routes) x
    ORDER BY 1
  LOOP
    v_driver := v_route.driver_id;
    CONTINUE WHEN v_driver IS NULL
      OR NOT EXISTS (SELECT 1 FROM dispatch.drivers WHERE id = v_driver);

    SELECT coalesce(jsonb_agg(jsonb_build_object(
             'order_id', o.id, 'kind', s.value ->> 'kind',
             'eta', CASE WHEN jsonb_typeof(s.value -> 'eta_s') = 'number'
                         THEN dispatch.ts_json(now() + make_interval(
                                secs => (s.value ->> 'eta_s')::double precision)) END)
             ORDER BY s.ordinality), '[]'::jsonb)
    INTO v_stops
    FROM jsonb_array_elements(coalesce(v_route.stops, '[]'::jsonb)) WITH ORDINALITY s
    JOIN dispatch.orders o ON o.id = dispatch.to_uuid(s.value ->> 'order_id')
    WHERE dispatch.route_stop_open(o, v_driver, s.value ->> 'kind');

    INSERT INTO dispatch.driver_routes (driver_id) VALUES (v_driver)
    ON CONFLICT (driver_id) DO NOTHING;
    SELECT r.stops INTO v_old FROM dispatch.driver_routes r WHERE r.driver_id = v_driver
    FOR UPDATE;

    IF dispatch.route_sequence(v_old) IS DISTINCT FROM dispatch.route_sequence(v_stops) THEN
      UPDATE dispatch.driver_routes SET stops = v_stops, updated_at = now()
      WHERE driver_id = v_driver;
      PERFORM dispatch.emit('driver.route', NULL, v_driver, 'system',
                            dispatch.driver_route_json(v_driver));
    ELSIF v_old IS DISTINCT FROM v_stops THEN
      UPDATE dispatch.driver_routes SET stops = v_stops WHERE driver_id = v_driver;
    END IF;
  END LOOP;
END
$$;
