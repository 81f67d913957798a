-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- History for replay: GET /api/v1/history (server/api/dsd-api-history.c,
-- docs/openapi.json) streams what happened in [from, to) as frames, oldest
-- first, fetched a page at a time (dispatch.history_page):
--   {"t","type":"order","order_id","status","driver_id","pickup":{"lat","lon"},
--    "dropoff":{"lat","lon"}}: an order's state from t on. The first frames,
--    at t = from, are the orders open at from (created before, closed at or
--    after it); then one frame per order.created and per order.updated that
--    changed the status, the driver or a place.
--   {"t","type":"position","driver_id","lat","lon"}: a driver's position,
--    the last one recorded in each step of step_s seconds from `from`; at
--    t = from, where each driver was last seen in the 10 minutes before.
-- Same visibility as everywhere: a dispatcher scoped to teams gets its teams'
-- orders (dispatch.order_visible) and drivers (dispatch.scope_drivers) only.
-- Positions are kept DISPATCH_LOCATION_RETENTION_DAYS days.

-- What a frame says of an order (p_order: an order's JSON, as in its events).
CREATE OR REPLACE FUNCTION dispatch.history_order_state(p_order jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'type', 'order', 'order_id', p_order -> 'id', 'status', p_order -> 'status',
    'driver_id', p_order -> 'driver_id',
    'pickup', jsonb_build_object('lat', p_order #> '{pickup,lat}',
                                 'lon', p_order #> '{pickup,lon}'),
    'dropoff', jsonb_build_object('lat', p_order #> '{dropoff,lat}',
                                  'lon', p_order #> '{dropoff,lon}'))
$$;

-- The paging key of a frame: its time in microseconds (zero-padded, so that
-- keys sort as text in time order), then p_kind ('0' the state at from: open
-- orders by id, drivers by 'd' || id; '1' an event, '2' a position),
-- then p_id (events: the zero-padded outbox id, in commit order within a
-- time; positions: the driver).
CREATE OR REPLACE FUNCTION dispatch.history_key(p_t timestamptz, p_kind text, p_id text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT lpad((extract(epoch FROM p_t) * 1000000)::bigint::text, 20, '0') || p_kind || p_id
$$;

-- The time of a key.
CREATE OR REPLACE FUNCTION dispatch.history_key_time(p_key text)
RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
  SELECT to_timestamp(substring(p_key FROM 1 FOR 20)::numeric / 1000000)
$$;

-- The frames of [p_from, p_to) after key p_after (NULL: from the start), at
-- most p_limit, with their keys; fewer than p_limit: the last page. Read a
-- slice of time at a time (a whole number of steps), so that a page costs
-- about what it returns, not the whole period.
CREATE OR REPLACE FUNCTION dispatch.history_page(p_actor jsonb, p_from timestamptz,
                                                 p_to timestamptz, p_step_s integer,
                                                 p_after text, p_limit integer)
RETURNS TABLE (frame jsonb, key text) LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_after text := coalesce(p_after, '');
  v_t timestamptz := CASE WHEN p_after IS NULL THEN p_from
                          ELSE dispatch.history_key_time(p_after) END;
  v_drivers uuid[] := dispatch.scope_drivers(p_actor);
  v_slice interval;
  v_start timestamptz;
  v_end timestamptz;
  v_n integer := 0;
  v_got integer;
BEGIN
  -- A slice: about a page of positions (p_limit / the drivers seen, in
  -- steps; at least one step, at most ten minutes). A page that ends inside
  -- a slice reads that slice again from its start.
  v_slice := make_interval(secs => p_step_s * greatest(1, least(
    600 / p_step_s,
    p_limit / greatest(1, (SELECT count(*) FROM dispatch.drivers d
                           WHERE v_drivers IS NULL OR d.id = ANY (v_drivers)))::integer)));
  IF v_t <= p_from THEN
    RETURN QUERY
    SELECT dispatch.history_order_state(e.data)
             || jsonb_build_object('t', dispatch.ts_json(p_from)) AS frame,
           dispatch.history_key(p_from, '0', o.id::text) AS key
    FROM (SELECT * FROM dispatch.orders WHERE closed_at >= p_from
          UNION ALL
          SELECT * FROM dispatch.orders
          WHERE closed_at IS NULL AND status IN ('pending', 'assigned', 'picked_up')) o
    CROSS JOIN LATERAL (SELECT x.data FROM dispatch.outbox x
                        WHERE x.order_id = o.id AND x.occurred_at < p_from
                          AND x.type IN ('order.created', 'order.updated')
                        ORDER BY x.id DESC LIMIT 1) e
    WHERE o.created_at < p_from AND dispatch.order_visible(p_actor, o)
      AND dispatch.history_key(p_from, '0', o.id::text) > v_after
    UNION ALL
    SELECT jsonb_build_object('t', dispatch.ts_json(p_from), 'type', 'position',
                              'driver_id', d.id, 'lat', l.lat, 'lon', l.lon),
           dispatch.history_key(p_from, '0', 'd' || d.id::text)
    FROM dispatch.drivers d
    CROSS JOIN LATERAL (SELECT y.lat, y.lon FROM dispatch.driver_locations y
                        WHERE y.driver_id = d.id AND y.recorded_at < p_from
                          AND y.recorded_at >= p_from - interval '10 minutes'
                        ORDER BY y.recorded_at DESC, y.received_at DESC LIMIT 1) l
    WHERE (v_drivers IS NULL OR d.id = ANY (v_drivers))
      AND dispatch.history_key(p_from, '0', 'd' || d.id::text) > v_after
    ORDER BY 2
    LIMIT p_limit;
    GET DIAGNOSTICS v_got = ROW_COUNT;
    v_n := v_got;
  END IF;

  v_start := p_from + v_slice * floor(extract(epoch FROM greatest(v_t, p_from) - p_from)
                                      / extract(epoch FROM v_slice));
  WHILE v_n < p_limit AND v_start < p_to LOOP
    v_end := least(v_start + v_slice, p_to);
    RETURN QUERY
    SELECT f.frame, f.key FROM (
      SELECT s.state || jsonb_build_object('t', dispatch.ts_json(e.occurred_at)) AS frame,
             dispatch.history_key(e.occurred_at, '1', lpad(e.id::text, 20, '0')) AS key
      FROM dispatch.outbox e
      JOIN dispatch.orders o ON o.id = e.order_id
      CROSS JOIN LATERAL (SELECT dispatch.history_order_state(e.data) AS state) s
      LEFT JOIN LATERAL (SELECT x.data FROM dispatch.outbox x
                         WHERE x.order_id = e.order_id AND x.id < e.id
                           AND x.type IN ('order.created', 'order.updated')
                         ORDER BY x.id DESC LIMIT 1) p ON true
      WHERE e.occurred_at >= v_start AND e.occurred_at < v_end
        AND e.type IN ('order.created', 'order.updated')
        AND (p.data IS NULL OR dispatch.history_order_state(p.data) <> s.state)
        AND dispatch.order_visible(p_actor, o)
      UNION ALL
      SELECT jsonb_build_object('t', dispatch.ts_json(l.recorded_at), 'type', 'position',
                                'driver_id', d.id, 'lat', l.lat, 'lon', l.lon),
             dispatch.history_key(l.recorded_at, '2', d.id::text)
      FROM dispatch.drivers d
      CROSS JOIN LATERAL (
        SELECT DISTINCT ON (floor(extract(epoch FROM y.recorded_at - p_from) / p_step_s))
               y.recorded_at, y.lat, y.lon
        FROM dispatch.driver_locations y
        WHERE y.driver_id = d.id AND y.recorded_at >= v_start AND y.recorded_at < v_end
        ORDER BY floor(extract(epoch FROM y.recorded_at - p_from) / p_step_s),
                 y.recorded_at DESC, y.received_at DESC) l
      WHERE v_drivers IS NULL OR d.id = ANY (v_drivers)) f
    WHERE f.key > v_after
    ORDER BY f.key
    LIMIT p_limit - v_n;
    GET DIAGNOSTICS v_got = ROW_COUNT;
    v_n := v_n + v_got;
    v_start := v_end;
  END LOOP;
END
$$;
