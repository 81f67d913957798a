-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Drivers: create, get, list (with nearby search), online/offline, trail,
-- offers.
--
-- Who may: staff (admin, dispatcher, system) everything; a driver only its own
-- driver (permission_denied otherwise, also for ids that do not exist);
-- customers nothing (permission_denied).

-- Checks that the actor may act on driver p_id and returns it as a uuid (NULL
-- when p_id is not a uuid: the caller reports not_found).
CREATE OR REPLACE FUNCTION dispatch.driver_access(p_actor jsonb, p_id text, p_what text)
RETURNS uuid LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_id uuid := dispatch.to_uuid(p_id);
BEGIN
  IF dispatch.is_staff(v_role) THEN
    RETURN v_id;
  END IF;
  IF v_role = 'driver' AND v_id IS NOT NULL
     AND v_id = dispatch.to_uuid(p_actor ->> 'driver_id') THEN
    RETURN v_id;
  END IF;
  PERFORM dispatch.raise_error('permission_denied',
    format('only staff and the driver itself may %s', p_what));
  RETURN NULL;
END
$$;

-- POST /drivers (admin, dispatcher). p_body {"name","phone"?,"vehicle"?,"capacity"?,
-- "max_weight_kg"?,"max_volume_l"?} (vehicle limits, NULL: none):
-- vehicle defaults to "car", capacity to 1. Emits driver.updated.
CREATE OR REPLACE FUNCTION dispatch.driver_create(p_actor jsonb, p_body jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_name text;
  v_phone text;
  v_vehicle text;
  v_capacity bigint;
  v_d dispatch.drivers;
  v_json jsonb;
BEGIN
  IF p_body IS NULL OR jsonb_typeof(p_body) <> 'object' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'the body must be a JSON object');
  END IF;
  v_name := btrim(dispatch.json_text(p_body -> 'name', 'name'));
  IF v_name IS NULL OR v_name = '' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'name is required', 'name');
  END IF;
  v_phone := dispatch.json_text(p_body -> 'phone', 'phone');
  v_vehicle := coalesce(dispatch.json_text(p_body -> 'vehicle', 'vehicle'), 'car');
  v_capacity := coalesce(dispatch.json_int(p_body -> 'capacity', 'capacity'), 1);

  INSERT INTO dispatch.drivers (name, phone, vehicle, capacity, max_weight_kg, max_volume_l)
  VALUES (v_name, v_phone, v_vehicle, v_capacity,
          dispatch.json_num(p_body -> 'max_weight_kg', 'max_weight_kg'),
          dispatch.json_num(p_body -> 'max_volume_l', 'max_volume_l'))
  RETURNING * INTO v_d;
  v_json := dispatch.driver_json(v_d);
  PERFORM dispatch.emit('driver.updated', NULL, v_d.id, dispatch.actor_label(p_actor), v_json);
  RETURN v_json;
END
$$;

-- GET /drivers/{id}: staff or that driver (else permission_denied); unknown → not_found.
CREATE OR REPLACE FUNCTION dispatch.driver_get(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_id uuid := dispatch.driver_access(p_actor, p_id, 'read a driver');
  v_d dispatch.drivers;
BEGIN
  SELECT * INTO v_d FROM dispatch.drivers WHERE id = v_id;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'no such driver');
  END IF;
  RETURN dispatch.driver_json(v_d);
END
$$;

-- GET /drivers?near= (staff). p_state: 'offline' | 'idle' | 'busy' | NULL.
-- Only drivers with a location within p_radius_m of (p_lat, p_lon), ordered
-- by distance (metres, rounded to mm) then id; each driver gets
-- "distance_m"; cursor {"k":"drivers_near","d":distance,"i":id}. p_ids: the
-- drivers to consider, from the shared live positions (Redis GEO, which
-- holds the fresh ones only; docs/cache.md), or NULL for all of them.
CREATE OR REPLACE FUNCTION dispatch.driver_list_near(p_state text,
                                                     p_lat double precision,
                                                     p_lon double precision,
                                                     p_radius_m double precision,
                                                     p_limit integer, p_cursor text,
                                                     p_ids uuid[])
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_c jsonb;
  v_cd numeric;
  v_ci uuid;
  v_dlat double precision;
  v_dlon double precision;
  v_lon_lo double precision;
  v_lon_hi double precision;
  v_items jsonb[];
  v_keys jsonb[];
BEGIN
  v_c := dispatch.cursor_decode(p_cursor, 'drivers_near');
  IF v_c IS NOT NULL THEN
    v_ci := dispatch.to_uuid(v_c ->> 'i');
    IF jsonb_typeof(v_c -> 'd') IS DISTINCT FROM 'number' OR v_ci IS NULL THEN
      PERFORM dispatch.raise_error('invalid_argument', 'next is not a valid cursor', 'next');
    END IF;
    v_cd := (v_c ->> 'd')::numeric;
  END IF;

  -- bounding box prefilter (slightly widened); no longitude bound near the
  -- poles or when the box is wider than the world, wrapped at ±180
  v_dlat := degrees(p_radius_m / 6371008.8) * 1.01 + 1e-9;
  IF abs(p_lat) + v_dlat >= 89.9 THEN
    v_dlon := 360;
  ELSE
    v_dlon := v_dlat / cos(radians(abs(p_lat) + v_dlat));
  END IF;
  IF v_dlon >= 180 THEN
    v_lon_lo := -180;
    v_lon_hi := 180;
  ELSE
    v_lon_lo := p_lon - v_dlon;
    v_lon_hi := p_lon + v_dlon;
  END IF;

  SELECT array_agg(p.item ORDER BY p.n), array_agg(p.key ORDER BY p.n) INTO v_items, v_keys
  FROM (
    SELECT dispatch.driver_json(x.d) || jsonb_build_object('distance_m', x.dist) AS item,
           jsonb_build_object('k', 'drivers_near', 'd', x.dist, 'i', (x.d).id) AS key,
           row_number() OVER (ORDER BY x.dist, (x.d).id) AS n
    FROM (
      SELECT d, round(dispatch.haversine_m(p_lat, p_lon, d.lat, d.lon)::numeric, 3) AS dist
      FROM dispatch.drivers d
      WHERE d.lat IS NOT NULL
        AND (p_ids IS NULL OR d.id = ANY (p_ids))
        AND d.lat BETWEEN p_lat - v_dlat AND p_lat + v_dlat
        AND (d.lon BETWEEN v_lon_lo AND v_lon_hi
             OR d.lon BETWEEN v_lon_lo + 360 AND 180
             OR d.lon BETWEEN -180 AND v_lon_hi - 360)
        AND (p_state IS NULL OR dispatch.driver_state(d.online, d.id) = p_state)
    ) x
    WHERE x.dist <= p_radius_m
      AND (v_c IS NULL OR (x.dist, (x.d).id) > (v_cd, v_ci))
    ORDER BY x.dist, (x.d).id
    LIMIT p_limit + 1
  ) p;
  RETURN dispatch.keyed_page_json('drivers', p_limit, v_items, v_keys);
END
$$;

-- GET /drivers (staff). p_state: 'offline' | 'idle' | 'busy' | NULL.
-- Without near: ordered by name, id; cursor {"k":"drivers","n":name,"i":id}.
-- With near (p_near_lat, p_near_lon and p_radius_m set): driver_list_near
-- over every driver.
CREATE OR REPLACE FUNCTION dispatch.driver_list(p_actor jsonb, p_state text,
                                                p_near_lat double precision,
                                                p_near_lon double precision,
                                                p_radius_m double precision,
                                                p_limit integer, p_cursor text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_c jsonb;
  v_cn text;
  v_ci uuid;
  v_items jsonb[];
  v_keys jsonb[];
BEGIN
  IF p_near_lat IS NOT NULL OR p_near_lon IS NOT NULL THEN
    RETURN dispatch.driver_list_near(p_state, p_near_lat, p_near_lon, p_radius_m, p_limit,
                                     p_cursor, NULL);
  END IF;

  v_c := dispatch.cursor_decode(p_cursor, 'drivers');
  IF v_c IS NOT NULL THEN
    v_ci := dispatch.to_uuid(v_c ->> 'i');
    v_cn := v_c ->> 'n';
    IF jsonb_typeof(v_c -> 'n') IS DISTINCT FROM 'string' OR v_ci IS NULL THEN
      PERFORM dispatch.raise_error('invalid_argument', 'next is not a valid cursor', 'next');
    END IF;
  END IF;
  SELECT array_agg(p.item ORDER BY p.n), array_agg(p.key ORDER BY p.n) INTO v_items, v_keys
  FROM (
    SELECT dispatch.driver_json(d) AS item,
           jsonb_build_object('k', 'drivers', 'n', d.name, 'i', d.id) AS key,
           row_number() OVER (ORDER BY d.name, d.id) AS n
    FROM dispatch.drivers d
    WHERE (v_c IS NULL OR (d.name, d.id) > (v_cn, v_ci))
      AND (p_state IS NULL OR dispatch.driver_state(d.online, d.id) = p_state)
    ORDER BY d.name, d.id
    LIMIT p_limit + 1
  ) p;
  RETURN dispatch.keyed_page_json('drivers', p_limit, v_items, v_keys);
END
$$;

-- POST /drivers/{id}/online: the driver itself or staff. Emits driver.updated
-- when "online" changes. Going offline: live offers to the driver are
-- withdrawn (order.updated each, the engine re-offers), and when an online
-- driver goes offline holding active orders they stay assigned and an "alert" event
-- {"kind":"driver_offline_with_orders","driver_id","driver_name","order_ids","message"}
-- is emitted.
CREATE OR REPLACE FUNCTION dispatch.driver_set_online(p_actor jsonb, p_id text, p_online boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid := dispatch.driver_access(p_actor, p_id, 'change a driver''s availability');
  v_label text := dispatch.actor_label(p_actor);
  v_was boolean;
  v_d dispatch.drivers;
  v_o dispatch.orders;
  v_active jsonb;
BEGIN
  IF p_online IS NULL THEN
    PERFORM dispatch.raise_error('invalid_argument', 'online is required', 'online');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM dispatch.drivers WHERE id = v_id) THEN
    PERFORM dispatch.raise_error('not_found', 'no such driver');
  END IF;

  IF NOT p_online THEN
    -- lock order: the orders offered to the driver first, then the driver
    FOR v_o IN
      SELECT * FROM dispatch.orders WHERE offer_driver_id = v_id ORDER BY id FOR UPDATE
    LOOP
      IF v_o.offer_driver_id = v_id THEN
        UPDATE dispatch.orders
        SET offer_driver_id = NULL, offer_expires_at = NULL, next_attempt_at = now(),
            updated_at = now()
        WHERE id = v_o.id
        RETURNING * INTO v_o;
        PERFORM dispatch.emit('order.updated', v_o.id, NULL, v_label, dispatch.order_json(v_o));
      END IF;
    END LOOP;
  END IF;

  SELECT online INTO v_was FROM dispatch.drivers WHERE id = v_id FOR UPDATE;
  UPDATE dispatch.drivers
  SET online = p_online, last_seen_at = now(),
      updated_at = CASE WHEN v_was <> p_online THEN now() ELSE updated_at END
  WHERE id = v_id
  RETURNING * INTO v_d;
  IF v_was <> p_online THEN
    PERFORM dispatch.emit('driver.updated', NULL, v_id, v_label, dispatch.driver_json(v_d));
  END IF;

  IF v_was AND NOT p_online THEN
    v_active := dispatch.driver_active_orders(v_id);
    IF jsonb_array_length(v_active) > 0 THEN
      PERFORM dispatch.emit('alert', NULL, v_id, v_label, jsonb_build_object(
        'kind', 'driver_offline_with_orders',
        'driver_id', v_id,
        'driver_name', v_d.name,
        'order_ids', v_active,
        'message', format('Driver %s went offline with %s active order(s)',
                          v_d.name, jsonb_array_length(v_active))));
    END IF;
  END IF;
  RETURN dispatch.driver_json(v_d);
END
$$;

-- GET /drivers/{id}/trail: the driver itself or staff. Points recorded in
-- [p_from, p_to]; both NULL → the last hour; only p_from → up to now; only
-- p_to → the hour before p_to. The newest p_limit points (NULL → 50, max 500),
-- returned oldest first: {"points":[{"lat","lon","heading"?,"speed_mps"?,
-- "accuracy_m"?,"recorded_at"}]}.
CREATE OR REPLACE FUNCTION dispatch.driver_trail(p_actor jsonb, p_id text, p_from timestamptz,
                                                 p_to timestamptz, p_limit integer)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_id uuid := dispatch.driver_access(p_actor, p_id, 'read a driver''s trail');
  v_to timestamptz := coalesce(p_to, 'infinity');
  v_from timestamptz := coalesce(p_from, coalesce(p_to, now()) - interval '1 hour');
  v_points jsonb;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dispatch.drivers WHERE id = v_id) THEN
    PERFORM dispatch.raise_error('not_found', 'no such driver');
  END IF;
  IF v_from > v_to THEN
    PERFORM dispatch.raise_error('invalid_argument', 'from must not be after to', 'from');
  END IF;
  SELECT coalesce(jsonb_agg(
           dispatch.location_json(t.lat, t.lon, t.heading, t.speed_mps, t.accuracy_m,
                                  t.recorded_at)
           ORDER BY t.recorded_at, t.received_at), '[]'::jsonb)
  INTO v_points
  FROM (SELECT * FROM dispatch.driver_locations l
        WHERE l.driver_id = v_id AND l.recorded_at BETWEEN v_from AND v_to
        ORDER BY l.recorded_at DESC, l.received_at DESC
        LIMIT p_limit) t;
  RETURN jsonb_build_object('points', v_points);
END
$$;

-- GET /drivers/{id}/offers: the driver itself or staff. Live offers, soonest
-- expiry first: {"offers":[{"order_id","expires_at","order"}]}.
CREATE OR REPLACE FUNCTION dispatch.driver_offers(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_id uuid := dispatch.driver_access(p_actor, p_id, 'read a driver''s offers');
  v_offers jsonb;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dispatch.drivers WHERE id = v_id) THEN
    PERFORM dispatch.raise_error('not_found', 'no such driver');
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'order_id', o.id,
           'expires_at', dispatch.ts_json(o.offer_expires_at),
           'order', dispatch.order_for(p_actor, dispatch.order_json(o)))
         ORDER BY o.offer_expires_at, o.id), '[]'::jsonb)
  INTO v_offers
  FROM dispatch.orders o
  WHERE o.offer_driver_id = v_id AND o.status = 'pending' AND o.offer_expires_at > now();
  RETURN jsonb_build_object('offers', v_offers);
END
$$;
