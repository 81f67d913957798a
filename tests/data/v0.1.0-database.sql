-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- The database of a fresh dispatchd v0.1.0 (git tag v0.1.0): its schema, functions
-- and bookkeeping rows (schema_migrations, relay_state, notify_state), for the
-- upgrade tests (DISPATCH_TEST_DATABASE_DUMP in tests/meson.build). Made with
-- `dispatchctl migrate` of v0.1.0 on an empty database, then
--   pg_dump --no-owner --no-privileges --no-comments --inserts
-- without the \restrict/\unrestrict lines of psql, so that one PQexec loads it.

--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: dispatch; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA dispatch;


--
-- Name: page_key; Type: TYPE; Schema: dispatch; Owner: -
--

CREATE TYPE dispatch.page_key AS (
	t timestamp with time zone,
	i uuid
);


--
-- Name: page_row; Type: TYPE; Schema: dispatch; Owner: -
--

CREATE TYPE dispatch.page_row AS (
	t timestamp with time zone,
	i uuid,
	item jsonb
);


--
-- Name: actor_label(jsonb); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.actor_label(p_actor jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE
    WHEN p_actor ->> 'role' = 'system' OR p_actor ->> 'user_id' IS NULL THEN 'system'
    ELSE (p_actor ->> 'role') || ':' || (p_actor ->> 'user_id')
  END
$$;


--
-- Name: actor_role(jsonb); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.actor_role(p_actor jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    AS $$
DECLARE
  v_role text := p_actor ->> 'role';
BEGIN
  IF v_role IS NULL OR v_role NOT IN ('admin', 'dispatcher', 'driver', 'customer', 'system') THEN
    PERFORM dispatch.raise_error('permission_denied', 'unknown caller');
  END IF;
  RETURN v_role;
END
$$;


--
-- Name: alert_unassignable(integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.alert_unassignable(p_after_s integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_o dispatch.orders;
  v_n integer := 0;
BEGIN
  IF coalesce(p_after_s, 0) <= 0 THEN
    RETURN 0;
  END IF;
  FOR v_o IN
    SELECT * FROM dispatch.orders
    WHERE status = 'pending' AND unassignable_alerted_at IS NULL
      AND pending_since <= now() - make_interval(secs => p_after_s)
      AND (offer_driver_id IS NULL OR NOT (offer_expires_at > now()))
    ORDER BY id
    FOR UPDATE SKIP LOCKED
  LOOP
    -- bookkeeping, not a change of the order: updated_at stays
    UPDATE dispatch.orders SET unassignable_alerted_at = now() WHERE id = v_o.id;
    PERFORM dispatch.emit('order.unassignable', v_o.id, NULL, 'system', dispatch.order_json(v_o));
    v_n := v_n + 1;
  END LOOP;
  RETURN v_n;
END
$$;


--
-- Name: auto_assign(text, text, jsonb, integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.auto_assign(p_order_id text, p_driver_id text, p_explanation jsonb, p_offer_timeout_s integer) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_o dispatch.orders;
  v_d dispatch.drivers;
  v_held bigint;
  v_reason text;
  v_json jsonb;
BEGIN
  SELECT * INTO v_o FROM dispatch.orders WHERE id = dispatch.to_uuid(p_order_id) FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('applied', false, 'reason', 'no_order', 'order', NULL);
  END IF;
  IF v_o.status = 'pending' AND v_o.offer_driver_id IS NOT NULL
     AND NOT (v_o.offer_expires_at > now()) THEN
    v_o := dispatch.offer_withdraw(v_o, 'expired', 'system');
  END IF;

  IF v_o.status <> 'pending' THEN
    v_reason := 'not_pending';
  ELSIF v_o.offer_driver_id IS NOT NULL THEN
    v_reason := 'offered';
  ELSIF EXISTS (SELECT 1 FROM dispatch.order_exclusions x
                WHERE x.order_id = v_o.id AND x.driver_id = dispatch.to_uuid(p_driver_id)) THEN
    v_reason := 'excluded';
  ELSE
    -- serialises the capacity checks of every assignment to this driver
    SELECT * INTO v_d FROM dispatch.drivers WHERE id = dispatch.to_uuid(p_driver_id)
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
      v_reason := 'no_driver';
    ELSIF NOT v_d.online THEN
      v_reason := 'offline';
    ELSIF NOT v_d.auto_dispatch THEN
      v_reason := 'paused';
    ELSE
      SELECT (SELECT count(*) FROM dispatch.orders x
              WHERE x.driver_id = v_d.id AND x.status IN ('assigned', 'picked_up'))
           + (SELECT count(*) FROM dispatch.orders x
              WHERE x.offer_driver_id = v_d.id AND x.status = 'pending'
                AND x.offer_expires_at > now() AND x.id <> v_o.id)
      INTO v_held;
      IF v_held >= v_d.capacity THEN
        v_reason := 'full';
      END IF;
    END IF;
  END IF;

  IF v_reason IS NOT NULL THEN
    RETURN jsonb_build_object('applied', false, 'reason', v_reason,
                              'order', dispatch.order_json(v_o));
  END IF;

  IF coalesce(p_offer_timeout_s, 0) > 0 THEN
    UPDATE dispatch.orders
    SET offer_driver_id = v_d.id,
        offer_expires_at = now() + make_interval(secs => p_offer_timeout_s),
        assignment_attempts = assignment_attempts + 1, updated_at = now()
    WHERE id = v_o.id
    RETURNING * INTO v_o;
    v_json := dispatch.order_json(v_o);
    PERFORM dispatch.emit('order.offer', v_o.id, v_d.id, 'system',
                          v_json || jsonb_build_object('assignment', p_explanation));
    PERFORM dispatch.emit('order.updated', v_o.id, v_d.id, 'system', v_json);
  ELSE
    UPDATE dispatch.orders
    SET status = 'assigned', driver_id = v_d.id, manual = false, eta_seconds = NULL,
        assignment_attempts = assignment_attempts + 1, assigned_at = now(),
        updated_at = now()
    WHERE id = v_o.id
    RETURNING * INTO v_o;
    v_json := dispatch.order_json(v_o);
    PERFORM dispatch.emit('order.assigned', v_o.id, v_d.id, 'system',
                          v_json || jsonb_build_object('assignment', p_explanation));
    PERFORM dispatch.emit('order.updated', v_o.id, v_d.id, 'system', v_json);
    PERFORM dispatch.emit_driver(v_d.id, 'system');
  END IF;
  RETURN jsonb_build_object('applied', true, 'order', v_json);
END
$$;


--
-- Name: cursor_decode(text, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.cursor_decode(p_cursor text, p_kind text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $_$
DECLARE
  v_b64 text;
  v jsonb;
BEGIN
  IF p_cursor IS NULL THEN
    RETURN NULL;
  END IF;
  IF length(p_cursor) <= 2000 AND p_cursor ~ '^[A-Za-z0-9_-]+$' THEN
    v_b64 := translate(p_cursor, '-_', '+/');
    v_b64 := v_b64 || repeat('=', (4 - length(v_b64) % 4) % 4);
    BEGIN
      v := convert_from(decode(v_b64, 'base64'), 'UTF8')::jsonb;
    EXCEPTION WHEN OTHERS THEN
      v := NULL;
    END;
  END IF;
  IF v IS NULL OR jsonb_typeof(v) <> 'object' OR v ->> 'k' IS DISTINCT FROM p_kind THEN
    PERFORM dispatch.raise_error('invalid_argument', 'next is not a valid cursor', 'next');
  END IF;
  RETURN v;
END
$_$;


--
-- Name: cursor_encode(jsonb); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.cursor_encode(p jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT rtrim(translate(encode(convert_to(p::text, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;


--
-- Name: cursor_ts(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.cursor_ts(p jsonb, p_key text) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    AS $_$
BEGIN
  IF jsonb_typeof(p -> p_key) IS DISTINCT FROM 'string'
     OR (p ->> p_key) !~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$' THEN
    RETURN NULL;
  END IF;
  RETURN (p ->> p_key)::timestamptz;
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END
$_$;


--
-- Name: uuid_v7(); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.uuid_v7() RETURNS uuid
    LANGUAGE sql PARALLEL SAFE
    AS $$
  SELECT encode(
    set_byte(
      overlay(s.b PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)
                                              ::bigint) FROM 3)
              FROM 1 FOR 6),
      6, (get_byte(s.b, 6) & 15) | 112),
    'hex')::uuid
  FROM (SELECT uuid_send(gen_random_uuid()) AS b) s
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: notifications; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.notifications (
    id uuid DEFAULT dispatch.uuid_v7() NOT NULL,
    outbox_id bigint NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    order_id uuid,
    channel text NOT NULL,
    target text NOT NULL,
    webhook_id uuid,
    template text,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    dead_at timestamp with time zone,
    CONSTRAINT notifications_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'webhook'::text]))),
    CONSTRAINT notifications_check CHECK (((channel = 'email'::text) OR (webhook_id IS NOT NULL))),
    CONSTRAINT notifications_check1 CHECK (((channel = 'webhook'::text) OR (template IS NOT NULL))),
    CONSTRAINT notifications_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'sent'::text, 'dead'::text, 'dropped'::text])))
);


--
-- Name: dead_letter_json(dispatch.notifications); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.dead_letter_json(n dispatch.notifications) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object('id', n.id, 'event_id', n.event_id, 'event_type', n.event_type,
                            'attempts', n.attempts, 'last_error', n.last_error,
                            'created_at', dispatch.ts_json(n.dead_at))
$$;


--
-- Name: driver_access(jsonb, text, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_access(p_actor jsonb, p_id text, p_what text) RETURNS uuid
    LANGUAGE plpgsql STABLE
    AS $$
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


--
-- Name: driver_active_orders(uuid); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_active_orders(p_driver_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT coalesce(jsonb_agg(x.id ORDER BY x.created_at, x.id), '[]'::jsonb)
  FROM dispatch.orders x
  WHERE x.driver_id = p_driver_id AND x.status IN ('assigned', 'picked_up')
$$;


--
-- Name: driver_create(jsonb, jsonb); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_create(p_actor jsonb, p_body jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_name text;
  v_phone text;
  v_vehicle text;
  v_capacity bigint;
  v_d dispatch.drivers;
  v_json jsonb;
BEGIN
  IF NOT dispatch.is_staff(v_role) THEN
    PERFORM dispatch.raise_error('permission_denied', 'only staff may create drivers');
  END IF;
  IF p_body IS NULL OR jsonb_typeof(p_body) <> 'object' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'the body must be a JSON object');
  END IF;
  v_name := btrim(dispatch.json_text(p_body -> 'name', 'name', 200));
  IF v_name IS NULL OR v_name = '' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'name is required', 'name');
  END IF;
  v_phone := dispatch.json_text(p_body -> 'phone', 'phone', 64);
  v_vehicle := coalesce(dispatch.json_text(p_body -> 'vehicle', 'vehicle'), 'car');
  IF v_vehicle NOT IN ('bike', 'scooter', 'car', 'van') THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'vehicle must be one of bike, scooter, car, van', 'vehicle');
  END IF;
  v_capacity := coalesce(dispatch.json_int(p_body -> 'capacity', 'capacity', 1, 1000), 1);

  INSERT INTO dispatch.drivers (name, phone, vehicle, capacity)
  VALUES (v_name, v_phone, v_vehicle, v_capacity)
  RETURNING * INTO v_d;
  v_json := dispatch.driver_json(v_d);
  PERFORM dispatch.emit('driver.updated', NULL, v_d.id, dispatch.actor_label(p_actor), v_json);
  RETURN v_json;
END
$$;


--
-- Name: driver_get(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_get(p_actor jsonb, p_id text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
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


--
-- Name: drivers; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.drivers (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    phone text,
    vehicle text DEFAULT 'car'::text NOT NULL,
    capacity integer DEFAULT 1 NOT NULL,
    online boolean DEFAULT false NOT NULL,
    auto_dispatch boolean DEFAULT true NOT NULL,
    lat double precision,
    lon double precision,
    heading double precision,
    speed_mps double precision,
    accuracy_m double precision,
    location_at timestamp with time zone,
    last_seen_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT drivers_capacity_check CHECK ((capacity >= 1)),
    CONSTRAINT drivers_check CHECK ((((lat IS NULL) = (lon IS NULL)) AND ((lat IS NULL) = (location_at IS NULL)))),
    CONSTRAINT drivers_lat_check CHECK (((lat >= ('-90'::integer)::double precision) AND (lat <= (90)::double precision))),
    CONSTRAINT drivers_lon_check CHECK (((lon >= ('-180'::integer)::double precision) AND (lon <= (180)::double precision))),
    CONSTRAINT drivers_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT drivers_phone_check CHECK ((length(phone) <= 64)),
    CONSTRAINT drivers_vehicle_check CHECK ((vehicle = ANY (ARRAY['bike'::text, 'scooter'::text, 'car'::text, 'van'::text])))
)
WITH (fillfactor='70');


--
-- Name: driver_json(dispatch.drivers); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_json(d dispatch.drivers) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object(
    'id', d.id,
    'name', d.name,
    'phone', d.phone,
    'vehicle', d.vehicle,
    'capacity', d.capacity,
    'online', d.online,
    'state', CASE WHEN NOT d.online THEN 'offline'
                  WHEN jsonb_array_length(a.ids) > 0 THEN 'busy'
                  ELSE 'idle' END,
    'location', dispatch.location_json(d.lat, d.lon, d.heading, d.speed_mps, d.accuracy_m,
                                       d.location_at),
    'active_orders', a.ids,
    'auto_dispatch', d.auto_dispatch,
    'last_seen_at', dispatch.ts_json(d.last_seen_at))
  FROM (SELECT dispatch.driver_active_orders(d.id) AS ids) a
$$;


--
-- Name: driver_list(jsonb, text, double precision, double precision, double precision, integer, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_list(p_actor jsonb, p_state text, p_near_lat double precision, p_near_lon double precision, p_radius_m double precision, p_limit integer, p_cursor text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_limit integer := dispatch.page_limit(p_limit);
  v_near boolean := p_near_lat IS NOT NULL OR p_near_lon IS NOT NULL;
  v_radius double precision := coalesce(p_radius_m, 5000);
  v_c jsonb;
  v_cn text;
  v_cd numeric;
  v_ci uuid;
  v_dlat double precision;
  v_dlon double precision;
  v_lon_lo double precision;
  v_lon_hi double precision;
  v_items jsonb[] := '{}';
  v_next text;
  v_last_name text;
  v_last_dist numeric;
  v_last_id uuid;
  r record;
BEGIN
  IF NOT dispatch.is_staff(v_role) THEN
    PERFORM dispatch.raise_error('permission_denied', 'only staff may list drivers');
  END IF;
  IF p_state IS NOT NULL AND p_state NOT IN ('offline', 'idle', 'busy') THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'state must be one of offline, idle, busy', 'state');
  END IF;

  IF v_near THEN
    IF p_near_lat IS NULL OR p_near_lon IS NULL
       OR NOT (p_near_lat BETWEEN -90 AND 90) OR NOT (p_near_lon BETWEEN -180 AND 180) THEN
      PERFORM dispatch.raise_error('invalid_argument',
        'near must be LAT,LON within [-90, 90] and [-180, 180]', 'near');
    END IF;
    IF NOT (v_radius > 0 AND v_radius <= 20037509) THEN
      PERFORM dispatch.raise_error('invalid_argument',
        'radius_m must be within (0, 20037509]', 'radius_m');
    END IF;
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
    v_dlat := degrees(v_radius / 6371008.8) * 1.01 + 1e-9;
    IF abs(p_near_lat) + v_dlat >= 89.9 THEN
      v_dlon := 360;
    ELSE
      v_dlon := v_dlat / cos(radians(abs(p_near_lat) + v_dlat));
    END IF;
    IF v_dlon >= 180 THEN
      v_lon_lo := -180;
      v_lon_hi := 180;
    ELSE
      v_lon_lo := p_near_lon - v_dlon;
      v_lon_hi := p_near_lon + v_dlon;
    END IF;

    FOR r IN
      SELECT x.d, x.dist FROM (
        SELECT d, round(dispatch.haversine_m(p_near_lat, p_near_lon, d.lat, d.lon)::numeric, 3)
                 AS dist
        FROM dispatch.drivers d
        WHERE d.lat IS NOT NULL
          AND d.lat BETWEEN p_near_lat - v_dlat AND p_near_lat + v_dlat
          AND (d.lon BETWEEN v_lon_lo AND v_lon_hi
               OR d.lon BETWEEN v_lon_lo + 360 AND 180
               OR d.lon BETWEEN -180 AND v_lon_hi - 360)
          AND (p_state IS NULL OR dispatch.driver_state(d.online, d.id) = p_state)
      ) x
      WHERE x.dist <= v_radius
        AND (v_c IS NULL OR (x.dist, (x.d).id) > (v_cd, v_ci))
      ORDER BY x.dist, (x.d).id
      LIMIT v_limit + 1
    LOOP
      IF cardinality(v_items) = v_limit THEN
        v_next := dispatch.cursor_encode(jsonb_build_object(
          'k', 'drivers_near', 'd', v_last_dist, 'i', v_last_id));
        EXIT;
      END IF;
      v_items := array_append(v_items,
        dispatch.driver_json(r.d) || jsonb_build_object('distance_m', r.dist));
      v_last_dist := r.dist;
      v_last_id := (r.d).id;
    END LOOP;
  ELSE
    v_c := dispatch.cursor_decode(p_cursor, 'drivers');
    IF v_c IS NOT NULL THEN
      v_ci := dispatch.to_uuid(v_c ->> 'i');
      v_cn := v_c ->> 'n';
      IF jsonb_typeof(v_c -> 'n') IS DISTINCT FROM 'string' OR v_ci IS NULL THEN
        PERFORM dispatch.raise_error('invalid_argument', 'next is not a valid cursor', 'next');
      END IF;
    END IF;
    FOR r IN
      SELECT d FROM dispatch.drivers d
      WHERE (v_c IS NULL OR (d.name, d.id) > (v_cn, v_ci))
        AND (p_state IS NULL OR dispatch.driver_state(d.online, d.id) = p_state)
      ORDER BY d.name, d.id
      LIMIT v_limit + 1
    LOOP
      IF cardinality(v_items) = v_limit THEN
        v_next := dispatch.cursor_encode(jsonb_build_object(
          'k', 'drivers', 'n', v_last_name, 'i', v_last_id));
        EXIT;
      END IF;
      v_items := array_append(v_items, dispatch.driver_json(r.d));
      v_last_name := (r.d).name;
      v_last_id := (r.d).id;
    END LOOP;
  END IF;
  RETURN jsonb_build_object('drivers', to_jsonb(v_items), 'next', v_next);
END
$$;


--
-- Name: driver_offers(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_offers(p_actor jsonb, p_id text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
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
           'order', dispatch.order_json(o))
         ORDER BY o.offer_expires_at, o.id), '[]'::jsonb)
  INTO v_offers
  FROM dispatch.orders o
  WHERE o.offer_driver_id = v_id AND o.status = 'pending' AND o.offer_expires_at > now();
  RETURN jsonb_build_object('offers', v_offers);
END
$$;


--
-- Name: driver_positions_apply(uuid[], timestamp with time zone[], double precision[], double precision[], double precision[], double precision[], double precision[]); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_positions_apply(p_ids uuid[], p_recorded_at timestamp with time zone[], p_lat double precision[], p_lon double precision[], p_heading double precision[], p_speed_mps double precision[], p_accuracy_m double precision[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  PERFORM 1 FROM dispatch.drivers d WHERE d.id = ANY (p_ids) ORDER BY d.id FOR UPDATE;

  UPDATE dispatch.drivers d
  SET lat          = CASE WHEN u.newer THEN u.lat ELSE d.lat END,
      lon          = CASE WHEN u.newer THEN u.lon ELSE d.lon END,
      heading      = CASE WHEN u.newer THEN u.heading ELSE d.heading END,
      speed_mps    = CASE WHEN u.newer THEN u.speed_mps ELSE d.speed_mps END,
      accuracy_m   = CASE WHEN u.newer THEN u.accuracy_m ELSE d.accuracy_m END,
      location_at  = CASE WHEN u.newer THEN u.recorded_at ELSE d.location_at END,
      last_seen_at = now()
  FROM (SELECT p.*, (x.location_at IS NULL OR x.location_at < p.recorded_at) AS newer
        FROM unnest(p_ids, p_recorded_at, p_lat, p_lon, p_heading, p_speed_mps, p_accuracy_m)
             AS p(id, recorded_at, lat, lon, heading, speed_mps, accuracy_m)
        JOIN dispatch.drivers x ON x.id = p.id) u
  WHERE d.id = u.id;
END
$$;


--
-- Name: driver_set_auto_dispatch(jsonb, text, boolean); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_set_auto_dispatch(p_actor jsonb, p_id text, p_auto boolean) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_label text := dispatch.actor_label(p_actor);
  v_id uuid := dispatch.to_uuid(p_id);
  v_was boolean;
  v_o dispatch.orders;
  v_d dispatch.drivers;
BEGIN
  IF NOT dispatch.is_staff(v_role) THEN
    PERFORM dispatch.raise_error('permission_denied',
      'only dispatchers and admins may pause or resume automatic dispatch');
  END IF;
  IF p_auto IS NULL THEN
    PERFORM dispatch.raise_error('invalid_argument', 'auto_dispatch is required',
                                 'auto_dispatch');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM dispatch.drivers WHERE id = v_id) THEN
    PERFORM dispatch.raise_error('not_found', 'no such driver');
  END IF;

  IF NOT p_auto THEN
    -- lock order: the orders offered to the driver first, then the driver
    FOR v_o IN
      SELECT * FROM dispatch.orders WHERE offer_driver_id = v_id ORDER BY id FOR UPDATE
    LOOP
      PERFORM dispatch.offer_withdraw(v_o, NULL, v_label);
    END LOOP;
  END IF;

  SELECT auto_dispatch INTO v_was FROM dispatch.drivers WHERE id = v_id FOR UPDATE;
  UPDATE dispatch.drivers
  SET auto_dispatch = p_auto,
      updated_at = CASE WHEN v_was <> p_auto THEN now() ELSE updated_at END
  WHERE id = v_id
  RETURNING * INTO v_d;
  IF v_was <> p_auto THEN
    PERFORM dispatch.emit('driver.updated', NULL, v_id, v_label, dispatch.driver_json(v_d));
  END IF;
  RETURN dispatch.driver_json(v_d);
END
$$;


--
-- Name: driver_set_online(jsonb, text, boolean); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_set_online(p_actor jsonb, p_id text, p_online boolean) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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


--
-- Name: driver_state(boolean, uuid); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_state(p_online boolean, p_driver_id uuid) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  SELECT CASE
    WHEN NOT p_online THEN 'offline'
    WHEN EXISTS (SELECT 1 FROM dispatch.orders x
                 WHERE x.driver_id = p_driver_id AND x.status IN ('assigned', 'picked_up'))
      THEN 'busy'
    ELSE 'idle'
  END
$$;


--
-- Name: driver_stream_snapshot(text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_stream_snapshot(p_driver_id text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_d dispatch.drivers;
BEGIN
  SELECT * INTO v_d FROM dispatch.drivers WHERE id = dispatch.to_uuid(p_driver_id);
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'no such driver');
  END IF;
  RETURN jsonb_build_object(
    'seq', (SELECT s.last_seq FROM dispatch.relay_state s WHERE s.id = 1),
    'orders', (SELECT coalesce(jsonb_agg(dispatch.order_json(o) ORDER BY o.created_at, o.id),
                               '[]'::jsonb)
               FROM dispatch.orders o
               WHERE (o.driver_id = v_d.id AND o.status IN ('assigned', 'picked_up'))
                  OR (o.offer_driver_id = v_d.id AND o.status = 'pending'
                      AND o.offer_expires_at > now())),
    'drivers', jsonb_build_array(dispatch.driver_json(v_d)));
END
$$;


--
-- Name: driver_trail(jsonb, text, timestamp with time zone, timestamp with time zone, integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.driver_trail(p_actor jsonb, p_id text, p_from timestamp with time zone, p_to timestamp with time zone, p_limit integer) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
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
        LIMIT dispatch.page_limit(p_limit)) t;
  RETURN jsonb_build_object('points', v_points);
END
$$;


--
-- Name: emit(text, uuid, uuid, text, jsonb); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.emit(p_type text, p_order_id uuid, p_driver_id uuid, p_actor text, p_data jsonb) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_id bigint;
BEGIN
  INSERT INTO dispatch.outbox (type, order_id, driver_id, actor, data)
  VALUES (p_type, p_order_id, p_driver_id, coalesce(p_actor, 'system'), p_data)
  RETURNING id INTO v_id;
  INSERT INTO dispatch.outbox_pending (id) VALUES (v_id);
  IF coalesce(current_setting('dispatch.outbox_notify', true), '') <> 'off' THEN
    PERFORM pg_notify('dispatch_outbox', '');
  END IF;
  RETURN v_id;
END
$$;


--
-- Name: emit_driver(uuid, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.emit_driver(p_driver_id uuid, p_actor text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_d dispatch.drivers;
BEGIN
  SELECT * INTO v_d FROM dispatch.drivers WHERE id = p_driver_id;
  IF FOUND THEN
    PERFORM dispatch.emit('driver.updated', NULL, p_driver_id, p_actor,
                          dispatch.driver_json(v_d));
  END IF;
END
$$;


--
-- Name: engine_round(integer, integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.engine_round(p_alert_after_s integer, p_limit integer) RETURNS TABLE(seq bigint, id text, pickup_lat double precision, pickup_lon double precision, priority integer, pending_since_us bigint, offer_driver_id text, offer_expires_us bigint, excluded text)
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
BEGIN
  PERFORM dispatch.expire_offers();
  PERFORM dispatch.alert_unassignable(p_alert_after_s);
  RETURN QUERY
  WITH s AS (
    SELECT r.last_seq FROM dispatch.relay_state r WHERE r.id = 1
  ), p AS (
    SELECT o.id::text AS id, o.pickup_lat, o.pickup_lon, o.priority::integer AS priority,
           (extract(epoch FROM coalesce(o.pending_since, o.created_at)) * 1000000)::bigint
             AS pending_since_us,
           CASE WHEN o.offer_expires_at > now() THEN o.offer_driver_id::text END
             AS offer_driver_id,
           CASE WHEN o.offer_expires_at > now()
                THEN (extract(epoch FROM o.offer_expires_at) * 1000000)::bigint END
             AS offer_expires_us,
           (SELECT string_agg(x.driver_id::text, ',') FROM dispatch.order_exclusions x
            WHERE x.order_id = o.id) AS excluded
    FROM dispatch.orders o
    WHERE o.status = 'pending'
    ORDER BY coalesce(o.pending_since, o.created_at), o.id
    LIMIT least(greatest(coalesce(p_limit, 20000), 1), 100000)
  )
  SELECT s.last_seq, p.id, p.pickup_lat, p.pickup_lon, p.priority, p.pending_since_us,
         p.offer_driver_id, p.offer_expires_us, p.excluded
  FROM s LEFT JOIN p ON true
  ORDER BY p.pending_since_us, p.id;
END
$$;


--
-- Name: ensure_first_admin(text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.ensure_first_admin(p_password_hash text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF p_password_hash IS NULL OR p_password_hash = '' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'password is required', 'password');
  END IF;
  PERFORM pg_advisory_xact_lock(7144650002);
  IF EXISTS (SELECT 1 FROM dispatch.users) THEN
    RETURN false;
  END IF;
  INSERT INTO dispatch.users (username, password_hash, role)
  VALUES ('admin', p_password_hash, 'admin')
  ON CONFLICT DO NOTHING;
  RETURN FOUND;
END
$$;


--
-- Name: outbox; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.outbox (
    id bigint NOT NULL,
    event_id uuid DEFAULT gen_random_uuid() NOT NULL,
    type text NOT NULL,
    order_id uuid,
    driver_id uuid,
    actor text NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    data jsonb NOT NULL,
    CONSTRAINT outbox_type_check CHECK ((type = ANY (ARRAY['order.created'::text, 'order.updated'::text, 'order.assigned'::text, 'order.offer'::text, 'order.unassignable'::text, 'driver.updated'::text, 'driver.location'::text, 'alert'::text])))
);


--
-- Name: envelope_json(dispatch.outbox, bigint); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.envelope_json(e dispatch.outbox, p_seq bigint) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object('id', e.event_id, 'seq', p_seq, 'type', e.type,
                            'occurred_at', dispatch.ts_json(e.occurred_at), 'data', e.data)
$$;


--
-- Name: eta_orders(); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.eta_orders() RETURNS TABLE(seq bigint, id text, driver_id text, status text, pickup_lat double precision, pickup_lon double precision, dropoff_lat double precision, dropoff_lon double precision, eta_seconds integer)
    LANGUAGE sql STABLE
    AS $$
  SELECT s.last_seq, o.id::text, o.driver_id::text, o.status, o.pickup_lat, o.pickup_lon,
         o.dropoff_lat, o.dropoff_lon, o.eta_seconds
  FROM dispatch.relay_state s
  LEFT JOIN dispatch.orders o ON o.status IN ('assigned', 'picked_up')
  WHERE s.id = 1
$$;


--
-- Name: events_since(bigint, integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.events_since(p_after_seq bigint, p_limit integer) RETURNS TABLE(seq bigint, envelope jsonb)
    LANGUAGE sql STABLE
    AS $$
  SELECT s.seq, dispatch.envelope_json(e, s.seq)
  FROM dispatch.outbox_seq s
  JOIN dispatch.outbox e ON e.id = s.outbox_id
  WHERE s.seq > coalesce(p_after_seq, 0)
  ORDER BY s.seq
  LIMIT least(greatest(coalesce(p_limit, 1000), 1), 10000)
$$;


--
-- Name: expire_offers(); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.expire_offers() RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_o dispatch.orders;
  v_n integer := 0;
BEGIN
  FOR v_o IN
    SELECT * FROM dispatch.orders
    WHERE offer_driver_id IS NOT NULL AND offer_expires_at <= now() AND status = 'pending'
    ORDER BY id
    FOR UPDATE SKIP LOCKED
  LOOP
    PERFORM dispatch.offer_withdraw(v_o, 'expired', 'system');
    v_n := v_n + 1;
  END LOOP;
  RETURN v_n;
END
$$;


--
-- Name: fleet_snapshot(uuid); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.fleet_snapshot(p_id uuid DEFAULT NULL::uuid) RETURNS TABLE(seq bigint, id text, name text, vehicle text, capacity integer, online boolean, auto_dispatch boolean, lat double precision, lon double precision, heading double precision, speed_mps double precision, recorded_at_us bigint, n_active integer)
    LANGUAGE sql STABLE
    AS $$
  SELECT (SELECT s.last_seq FROM dispatch.relay_state s WHERE s.id = 1),
         d.id::text, d.name, d.vehicle, d.capacity, d.online, d.auto_dispatch,
         d.lat, d.lon, d.heading, d.speed_mps,
         (extract(epoch FROM d.location_at) * 1000000)::bigint,
         coalesce(a.n, 0)::integer
  FROM dispatch.drivers d
  LEFT JOIN (SELECT o.driver_id, count(*) AS n FROM dispatch.orders o
             WHERE o.status IN ('assigned', 'picked_up')
             GROUP BY o.driver_id) a ON a.driver_id = d.id
  WHERE p_id IS NULL OR d.id = p_id
$$;


--
-- Name: haversine_m(double precision, double precision, double precision, double precision); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.haversine_m(lat1 double precision, lon1 double precision, lat2 double precision, lon2 double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT 2 * 6371008.8 * atan2(
    sqrt(power(sin(radians(lat2 - lat1) / 2), 2)
         + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2)),
    sqrt(greatest(0.0, 1 - (power(sin(radians(lat2 - lat1) / 2), 2)
         + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2)))))
$$;


--
-- Name: idem_begin(jsonb, text, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.idem_begin(p_actor jsonb, p_key text, p_req_hash text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_user text := p_actor ->> 'user_id';
  v_row dispatch.idempotency_keys;
  v_response jsonb;
BEGIN
  IF p_key IS NULL OR v_user IS NULL THEN
    RETURN NULL;
  END IF;
  IF length(p_key) NOT BETWEEN 1 AND 255 THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'Idempotency-Key must be 1 to 255 characters', 'Idempotency-Key');
  END IF;
  PERFORM pg_advisory_xact_lock(71446503, hashtext(v_user || E'\n' || p_key));
  SELECT * INTO v_row FROM dispatch.idempotency_keys WHERE user_id = v_user AND key = p_key;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF v_row.request_hash <> coalesce(p_req_hash, '') THEN
    PERFORM dispatch.raise_error('conflict',
      'Idempotency-Key was already used for a different request', 'Idempotency-Key');
  END IF;
  v_response := v_row.response;
  IF v_response IS NULL THEN
    SELECT e.data INTO v_response FROM dispatch.outbox e WHERE e.id = v_row.response_event;
  END IF;
  IF v_response IS NULL THEN
    PERFORM dispatch.raise_error('conflict',
      'the response to this Idempotency-Key is no longer available', 'Idempotency-Key');
  END IF;
  RETURN v_response;
END
$$;


--
-- Name: idem_finish(jsonb, text, text, jsonb, bigint); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.idem_finish(p_actor jsonb, p_key text, p_req_hash text, p_response jsonb, p_event bigint DEFAULT NULL::bigint) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF p_key IS NOT NULL AND p_actor ->> 'user_id' IS NOT NULL THEN
    INSERT INTO dispatch.idempotency_keys (user_id, key, request_hash, response, response_event)
    VALUES (p_actor ->> 'user_id', p_key, coalesce(p_req_hash, ''),
            CASE WHEN p_event IS NULL THEN p_response END, p_event);
    -- (no ON CONFLICT: idem_begin's lock excludes a concurrent insert of the
    -- key, and a speculative insertion would cost WAL)
  END IF;
END
$$;


--
-- Name: inventory_get(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.inventory_get(p_actor jsonb, p_sku text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_i dispatch.inventory;
BEGIN
  SELECT * INTO v_i FROM dispatch.inventory WHERE sku = p_sku;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'no such sku');
  END IF;
  RETURN dispatch.inventory_json(v_i);
END
$$;


--
-- Name: inventory; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.inventory (
    sku text NOT NULL,
    name text,
    quantity bigint NOT NULL,
    reserved bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT inventory_check CHECK ((reserved <= quantity)),
    CONSTRAINT inventory_quantity_check CHECK ((quantity >= 0)),
    CONSTRAINT inventory_reserved_check CHECK ((reserved >= 0)),
    CONSTRAINT inventory_sku_check CHECK (((length(sku) >= 1) AND (length(sku) <= 200)))
);


--
-- Name: inventory_json(dispatch.inventory); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.inventory_json(i dispatch.inventory) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object('sku', i.sku, 'name', i.name, 'quantity', i.quantity,
                            'reserved', i.reserved, 'available', i.quantity - i.reserved)
$$;


--
-- Name: inventory_put(jsonb, text, bigint, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.inventory_put(p_actor jsonb, p_sku text, p_quantity bigint, p_name text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_i dispatch.inventory;
BEGIN
  IF v_role NOT IN ('admin', 'system') THEN
    PERFORM dispatch.raise_error('permission_denied', 'only admins may change inventory');
  END IF;
  IF p_sku IS NULL OR length(p_sku) NOT BETWEEN 1 AND 200 THEN
    PERFORM dispatch.raise_error('invalid_argument', 'sku must be 1 to 200 characters', 'sku');
  END IF;
  IF p_quantity IS NULL OR p_quantity < 0 THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'quantity must be an integer >= 0', 'quantity');
  END IF;
  IF length(p_name) > 200 THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'name must be at most 200 characters', 'name');
  END IF;

  INSERT INTO dispatch.inventory (sku, name, quantity)
  VALUES (p_sku, p_name, p_quantity)
  ON CONFLICT (sku) DO NOTHING
  RETURNING * INTO v_i;
  IF NOT FOUND THEN
    SELECT * INTO v_i FROM dispatch.inventory WHERE sku = p_sku FOR UPDATE;
    IF p_quantity < v_i.reserved THEN
      PERFORM dispatch.raise_error('conflict',
        format('quantity %s is below the %s units reserved by open orders',
               p_quantity, v_i.reserved), 'quantity');
    END IF;
    UPDATE dispatch.inventory
    SET quantity = p_quantity, name = coalesce(p_name, name), updated_at = now()
    WHERE sku = p_sku
    RETURNING * INTO v_i;
  END IF;
  RETURN dispatch.inventory_json(v_i);
END
$$;


--
-- Name: is_staff(text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.is_staff(p_role text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT p_role IN ('admin', 'dispatcher', 'system')
$$;


--
-- Name: json_int(jsonb, text, bigint, bigint); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.json_int(p_val jsonb, p_field text, p_min bigint, p_max bigint) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE
    AS $$
DECLARE
  v numeric;
BEGIN
  IF p_val IS NULL OR jsonb_typeof(p_val) = 'null' THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(p_val) <> 'number' THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || ' must be an integer', p_field);
  END IF;
  v := (p_val #>> '{}')::numeric;
  IF v <> trunc(v) THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || ' must be an integer', p_field);
  END IF;
  IF v < p_min OR v > p_max THEN
    PERFORM dispatch.raise_error('invalid_argument',
      format('%s must be within [%s, %s]', p_field, p_min, p_max), p_field);
  END IF;
  RETURN v::bigint;
END
$$;


--
-- Name: json_is_float(jsonb); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.json_is_float(p jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE WHEN jsonb_typeof(p) = 'number' THEN
    abs((p #>> '{}')::numeric) <= 1e300
    AND ((p #>> '{}')::numeric = 0 OR abs((p #>> '{}')::numeric) >= 1e-300)
  ELSE false END
$$;


--
-- Name: json_num(jsonb, text, double precision, double precision); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.json_num(p_val jsonb, p_field text, p_min double precision, p_max double precision) RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE
    AS $$
DECLARE
  v double precision;
BEGIN
  IF p_val IS NULL OR jsonb_typeof(p_val) = 'null' THEN
    RETURN NULL;
  END IF;
  IF NOT dispatch.json_is_float(p_val) THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || ' must be a number', p_field);
  END IF;
  v := (p_val #>> '{}')::double precision;
  IF v < p_min OR v > p_max THEN
    PERFORM dispatch.raise_error('invalid_argument',
      format('%s must be within [%s, %s]', p_field, p_min, p_max), p_field);
  END IF;
  RETURN v;
END
$$;


--
-- Name: json_place(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.json_place(p_place jsonb, p_field text, OUT lat double precision, OUT lon double precision) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
  IF jsonb_typeof(p_place) IS DISTINCT FROM 'object' THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || ' is required', p_field);
  END IF;
  lat := dispatch.json_num(p_place -> 'lat', p_field || '.lat', -90, 90);
  lon := dispatch.json_num(p_place -> 'lon', p_field || '.lon', -180, 180);
  IF lat IS NULL THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || '.lat is required',
                                 p_field || '.lat');
  END IF;
  IF lon IS NULL THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || '.lon is required',
                                 p_field || '.lon');
  END IF;
END
$$;


--
-- Name: json_text(jsonb, text, integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.json_text(p_val jsonb, p_field text, p_max_len integer DEFAULT NULL::integer) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
  IF p_val IS NULL OR jsonb_typeof(p_val) = 'null' THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(p_val) <> 'string' THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || ' must be a string', p_field);
  END IF;
  IF p_max_len IS NOT NULL AND length(p_val #>> '{}') > p_max_len THEN
    PERFORM dispatch.raise_error('invalid_argument',
      format('%s must be at most %s characters', p_field, p_max_len), p_field);
  END IF;
  RETURN p_val #>> '{}';
END
$$;


--
-- Name: location_json(double precision, double precision, double precision, double precision, double precision, timestamp with time zone); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.location_json(p_lat double precision, p_lon double precision, p_heading double precision, p_speed_mps double precision, p_accuracy_m double precision, p_recorded_at timestamp with time zone) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  SELECT CASE WHEN p_lat IS NOT NULL AND p_lon IS NOT NULL THEN
    jsonb_strip_nulls(jsonb_build_object(
      'lat', p_lat, 'lon', p_lon, 'heading', p_heading, 'speed_mps', p_speed_mps,
      'accuracy_m', p_accuracy_m, 'recorded_at', dispatch.ts_json(p_recorded_at)))
  END
$$;


--
-- Name: new_tracking_token(uuid); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.new_tracking_token(p_id uuid) RETURNS text
    LANGUAGE sql
    AS $$
  SELECT rtrim(translate(encode(
           uuid_send(p_id)
           || substring(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()))
                        FROM 1 FOR 18),
           'base64'), E'+/\n', '-_'), '=')
$$;


--
-- Name: notify_claim(jsonb, integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.notify_claim(p_leases jsonb, p_limit integer) RETURNS TABLE(id uuid, channel text, target text, template text, attempts integer, event_id uuid, event_type text, envelope text, secret text)
    LANGUAGE sql
    AS $$
  WITH due AS (
    SELECT n.id
    FROM dispatch.notifications n
    WHERE n.status = 'pending' AND n.next_attempt_at <= now() AND p_leases ? n.channel
    ORDER BY n.next_attempt_at, n.outbox_id
    LIMIT least(greatest(coalesce(p_limit, 100), 1), 1000)
    FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE dispatch.notifications n
    SET attempts = n.attempts + 1,
        next_attempt_at = now() + make_interval(secs => (p_leases ->> n.channel)::double precision),
        updated_at = now()
    FROM due
    WHERE n.id = due.id
    RETURNING n.*
  )
  SELECT c.id, c.channel, c.target, c.template, c.attempts, c.event_id, c.event_type,
         dispatch.envelope_json(e, s.seq)::text, w.secret
  FROM claimed c
  LEFT JOIN dispatch.outbox e ON e.id = c.outbox_id
  LEFT JOIN dispatch.outbox_seq s ON s.outbox_id = c.outbox_id
  LEFT JOIN dispatch.webhooks w ON w.id = c.webhook_id
  ORDER BY c.next_attempt_at, c.outbox_id
$$;


--
-- Name: notify_plan(boolean, integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.notify_plan(p_email boolean, p_limit integer) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_from bigint;
  v_to bigint;
BEGIN
  -- 7144650020: the planner's lock (7144650001: the relay's)
  IF NOT pg_try_advisory_xact_lock(7144650020) THEN
    RETURN 0;
  END IF;
  SELECT s.last_seq INTO v_from FROM dispatch.notify_state s WHERE s.id = 1 FOR UPDATE;
  SELECT max(x.seq) INTO v_to
  FROM (SELECT q.seq FROM dispatch.outbox_seq q WHERE q.seq > v_from ORDER BY q.seq
        LIMIT least(greatest(coalesce(p_limit, 1000), 1), 10000)) x;
  IF v_to IS NULL THEN
    RETURN 0;
  END IF;

  INSERT INTO dispatch.notifications (outbox_id, event_id, event_type, order_id, channel,
                                      target, webhook_id)
  SELECT e.id, e.event_id, e.type, e.order_id, 'webhook', w.url, w.id
  FROM dispatch.outbox_seq s
  JOIN dispatch.outbox e ON e.id = s.outbox_id
  JOIN dispatch.webhooks w ON e.type = ANY (w.events) AND w.created_at <= s.published_at
  WHERE s.seq > v_from AND s.seq <= v_to
  ORDER BY s.seq
  ON CONFLICT DO NOTHING;

  IF p_email THEN
    INSERT INTO dispatch.notifications (outbox_id, event_id, event_type, order_id, channel,
                                        target, template)
    SELECT e.id, e.event_id, e.type, e.order_id, 'email', e.data -> 'contact' ->> 'email',
           m.template
    FROM dispatch.outbox_seq s
    JOIN dispatch.outbox e ON e.id = s.outbox_id
    CROSS JOIN LATERAL (SELECT CASE
        WHEN e.type = 'order.created' THEN 'created'
        WHEN e.type = 'order.assigned' THEN 'assigned'
        WHEN e.type = 'order.updated'
             AND e.data ->> 'status' IN ('picked_up', 'delivered', 'cancelled', 'failed')
          THEN e.data ->> 'status'
      END AS template) m
    WHERE s.seq > v_from AND s.seq <= v_to
      AND m.template IS NOT NULL
      AND e.order_id IS NOT NULL
      AND nullif(e.data -> 'contact' ->> 'email', '') IS NOT NULL
    ORDER BY s.seq
    ON CONFLICT DO NOTHING;
  END IF;

  UPDATE dispatch.notify_state s SET last_seq = v_to WHERE s.id = 1;
  RETURN v_to - v_from;
END
$$;


--
-- Name: notify_record(uuid, integer, text, boolean, integer, integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.notify_record(p_id uuid, p_attempt integer, p_error text, p_permanent boolean, p_retry_base_s integer, p_max_attempts integer) RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
  v dispatch.notifications;
BEGIN
  SELECT * INTO v FROM dispatch.notifications n WHERE n.id = p_id FOR UPDATE;
  IF NOT FOUND OR v.status <> 'pending' THEN
    RETURN 'stale';
  END IF;

  IF p_error IS NULL THEN
    UPDATE dispatch.notifications n
    SET status = 'sent', sent_at = now(), updated_at = now()
    WHERE n.id = p_id;
    RETURN 'sent';
  END IF;

  IF v.attempts <> p_attempt THEN
    RETURN 'stale';
  END IF;

  IF p_permanent OR v.attempts >= p_max_attempts OR v.dead_at IS NOT NULL THEN
    UPDATE dispatch.notifications n
    SET status = 'dead', dead_at = coalesce(n.dead_at, now()), last_error = p_error,
        updated_at = now()
    WHERE n.id = p_id;
    RETURN 'dead';
  END IF;

  UPDATE dispatch.notifications n
  SET last_error = p_error, updated_at = now(),
      next_attempt_at = now() + make_interval(secs =>
        greatest(p_retry_base_s, 0) * power(2, least(v.attempts - 1, 20)) * (1 + random() * 0.2))
  WHERE n.id = p_id;
  RETURN 'retry';
END
$$;


--
-- Name: orders; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.orders (
    id uuid DEFAULT dispatch.uuid_v7() NOT NULL,
    customer_id text,
    status text DEFAULT 'pending'::text NOT NULL,
    status_reason text,
    pickup_lat double precision NOT NULL,
    pickup_lon double precision NOT NULL,
    pickup_address text,
    dropoff_lat double precision NOT NULL,
    dropoff_lon double precision NOT NULL,
    dropoff_address text,
    items jsonb DEFAULT '[]'::jsonb NOT NULL,
    notes text,
    priority smallint DEFAULT 0 NOT NULL,
    contact jsonb,
    driver_id uuid,
    eta_seconds integer,
    tracking_token text NOT NULL,
    assignment_attempts integer DEFAULT 0 NOT NULL,
    manual boolean DEFAULT false NOT NULL,
    offer_driver_id uuid,
    offer_expires_at timestamp with time zone,
    next_attempt_at timestamp with time zone DEFAULT now(),
    unassignable_alerted_at timestamp with time zone,
    assigned_at timestamp with time zone,
    picked_up_at timestamp with time zone,
    closed_at timestamp with time zone,
    created_by text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    pending_since timestamp with time zone DEFAULT now(),
    CONSTRAINT orders_check CHECK (((offer_driver_id IS NULL) = (offer_expires_at IS NULL))),
    CONSTRAINT orders_check1 CHECK (((status <> ALL (ARRAY['assigned'::text, 'picked_up'::text])) OR (driver_id IS NOT NULL))),
    CONSTRAINT orders_check2 CHECK (((status = 'pending'::text) OR (offer_driver_id IS NULL))),
    CONSTRAINT orders_customer_id_check CHECK (((length(customer_id) >= 1) AND (length(customer_id) <= 200))),
    CONSTRAINT orders_dropoff_lat_check CHECK (((dropoff_lat >= ('-90'::integer)::double precision) AND (dropoff_lat <= (90)::double precision))),
    CONSTRAINT orders_dropoff_lon_check CHECK (((dropoff_lon >= ('-180'::integer)::double precision) AND (dropoff_lon <= (180)::double precision))),
    CONSTRAINT orders_eta_seconds_check CHECK ((eta_seconds >= 0)),
    CONSTRAINT orders_pickup_lat_check CHECK (((pickup_lat >= ('-90'::integer)::double precision) AND (pickup_lat <= (90)::double precision))),
    CONSTRAINT orders_pickup_lon_check CHECK (((pickup_lon >= ('-180'::integer)::double precision) AND (pickup_lon <= (180)::double precision))),
    CONSTRAINT orders_priority_check CHECK (((priority >= 0) AND (priority <= 9))),
    CONSTRAINT orders_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'assigned'::text, 'picked_up'::text, 'delivered'::text, 'cancelled'::text, 'failed'::text])))
);


--
-- Name: offer_withdraw(dispatch.orders, text, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.offer_withdraw(p_o dispatch.orders, p_reason text, p_label text) RETURNS dispatch.orders
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_o dispatch.orders;
BEGIN
  IF p_reason IS NOT NULL THEN
    INSERT INTO dispatch.order_exclusions (order_id, driver_id, reason)
    VALUES (p_o.id, p_o.offer_driver_id, p_reason)
    ON CONFLICT (order_id, driver_id) DO UPDATE SET reason = p_reason, created_at = now();
  END IF;
  UPDATE dispatch.orders
  SET offer_driver_id = NULL, offer_expires_at = NULL, next_attempt_at = now(),
      updated_at = now()
  WHERE id = p_o.id
  RETURNING * INTO v_o;
  PERFORM dispatch.emit('order.updated', v_o.id, p_o.offer_driver_id, p_label,
                        dispatch.order_json(v_o));
  RETURN v_o;
END
$$;


--
-- Name: order_action(jsonb, text, text, text, text, jsonb); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.order_action(p_actor jsonb, p_idem_key text, p_req_hash text, p_id text, p_action text, p_args jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_label text := dispatch.actor_label(p_actor);
  v_me uuid := dispatch.to_uuid(p_actor ->> 'driver_id');
  v_args jsonb := coalesce(p_args, '{}'::jsonb);
  v_replay jsonb;
  v_o dispatch.orders;
  v_prev uuid;
  v_target uuid;
  v_online boolean;
  v_status text;
  v_reason text;
  v_json jsonb;
  v_evt bigint;
  v_driver_changed boolean := false;
BEGIN
  IF p_action IS NULL
     OR p_action NOT IN ('assign', 'unassign', 'accept', 'decline', 'status', 'cancel') THEN
    PERFORM dispatch.raise_error('not_found', 'no such action');
  END IF;
  IF jsonb_typeof(v_args) <> 'object' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'the body must be a JSON object');
  END IF;

  v_replay := dispatch.idem_begin(p_actor, p_idem_key, p_req_hash);
  IF v_replay IS NOT NULL THEN
    RETURN v_replay;
  END IF;

  SELECT * INTO v_o FROM dispatch.orders WHERE id = dispatch.to_uuid(p_id) FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'no such order');
  END IF;
  v_prev := v_o.driver_id;

  -- who may
  IF p_action IN ('accept', 'decline') THEN
    IF v_role = 'customer' AND NOT dispatch.order_visible(p_actor, v_o) THEN
      PERFORM dispatch.raise_error('not_found', 'no such order');
    END IF;
    IF v_role <> 'driver' THEN
      PERFORM dispatch.raise_error('permission_denied',
        format('only the offered driver may %s an order', p_action));
    END IF;
    IF v_me IS NULL OR v_o.status <> 'pending' OR v_o.offer_driver_id IS DISTINCT FROM v_me
       OR NOT (v_o.offer_expires_at > now()) THEN
      PERFORM dispatch.raise_error('conflict', 'there is no live offer of this order to you');
    END IF;
  ELSE
    IF NOT dispatch.order_visible(p_actor, v_o) THEN
      PERFORM dispatch.raise_error('not_found', 'no such order');
    END IF;
    IF p_action IN ('assign', 'unassign') AND NOT dispatch.is_staff(v_role) THEN
      PERFORM dispatch.raise_error('permission_denied',
        format('only dispatchers and admins may %s orders', p_action));
    END IF;
    IF p_action = 'status'
       AND NOT coalesce(dispatch.is_staff(v_role)
                        OR (v_role = 'driver' AND v_o.driver_id = v_me), false)
    THEN
      PERFORM dispatch.raise_error('permission_denied',
        'only the assigned driver and staff may change the status');
    END IF;
    IF p_action = 'cancel' AND NOT (dispatch.is_staff(v_role) OR v_role = 'customer') THEN
      PERFORM dispatch.raise_error('permission_denied',
        'only the customer and staff may cancel an order');
    END IF;
  END IF;

  CASE p_action
  WHEN 'assign' THEN
    IF v_args -> 'driver_id' IS NULL OR jsonb_typeof(v_args -> 'driver_id') = 'null' THEN
      PERFORM dispatch.raise_error('invalid_argument', 'driver_id is required', 'driver_id');
    END IF;
    v_target := dispatch.to_uuid(dispatch.json_text(v_args -> 'driver_id', 'driver_id'));
    IF v_o.status NOT IN ('pending', 'assigned') THEN
      PERFORM dispatch.raise_error('invalid_transition',
        format('an order that is %s cannot be assigned', v_o.status));
    END IF;
    -- the driver row: FOR SHARE, so that going offline waits for us (or we see it)
    SELECT online INTO v_online FROM dispatch.drivers WHERE id = v_target FOR SHARE;
    IF NOT FOUND THEN
      PERFORM dispatch.raise_error('invalid_argument', 'no such driver', 'driver_id');
    END IF;
    IF NOT v_online THEN
      PERFORM dispatch.raise_error('conflict', 'the driver is offline', 'driver_id');
    END IF;
    IF v_o.status = 'assigned' AND v_o.driver_id = v_target THEN
      IF NOT v_o.manual THEN
        UPDATE dispatch.orders SET manual = true, updated_at = now()
        WHERE id = v_o.id RETURNING * INTO v_o;
        v_json := dispatch.order_json(v_o);
        v_evt := dispatch.emit('order.updated', v_o.id, v_target, v_label, v_json);
      END IF;
    ELSE
      UPDATE dispatch.orders
      SET status = 'assigned', driver_id = v_target, manual = true,
          offer_driver_id = NULL, offer_expires_at = NULL, eta_seconds = NULL,
          assignment_attempts = assignment_attempts + 1, assigned_at = now(),
          updated_at = now()
      WHERE id = v_o.id
      RETURNING * INTO v_o;
      v_json := dispatch.order_json(v_o);
      PERFORM dispatch.emit('order.assigned', v_o.id, v_target, v_label, v_json);
      v_evt := dispatch.emit('order.updated', v_o.id, v_target, v_label, v_json);
      PERFORM dispatch.emit_driver(v_target, v_label);
      IF v_prev IS NOT NULL AND v_prev <> v_target THEN
        PERFORM dispatch.emit_driver(v_prev, v_label);
      END IF;
    END IF;

  WHEN 'unassign' THEN
    IF v_o.status <> 'assigned' THEN
      PERFORM dispatch.raise_error('invalid_transition',
        format('only an assigned order can be unassigned (this one is %s)', v_o.status));
    END IF;
    UPDATE dispatch.orders
    SET status = 'pending', driver_id = NULL, manual = false, eta_seconds = NULL,
        assigned_at = NULL, next_attempt_at = now(), updated_at = now()
    WHERE id = v_o.id
    RETURNING * INTO v_o;
    INSERT INTO dispatch.order_exclusions (order_id, driver_id, reason)
    VALUES (v_o.id, v_prev, 'unassigned')
    ON CONFLICT (order_id, driver_id) DO UPDATE SET reason = 'unassigned', created_at = now();
    v_json := dispatch.order_json(v_o);
    v_evt := dispatch.emit('order.updated', v_o.id, v_prev, v_label, v_json);
    PERFORM dispatch.emit_driver(v_prev, v_label);

  WHEN 'accept' THEN
    PERFORM 1 FROM dispatch.drivers WHERE id = v_me FOR SHARE;
    UPDATE dispatch.orders
    SET status = 'assigned', driver_id = v_me, manual = false,
        offer_driver_id = NULL, offer_expires_at = NULL, assigned_at = now(),
        updated_at = now()
    WHERE id = v_o.id
    RETURNING * INTO v_o;
    v_json := dispatch.order_json(v_o);
    PERFORM dispatch.emit('order.assigned', v_o.id, v_me, v_label, v_json);
    v_evt := dispatch.emit('order.updated', v_o.id, v_me, v_label, v_json);
    PERFORM dispatch.emit_driver(v_me, v_label);

  WHEN 'decline' THEN
    UPDATE dispatch.orders
    SET offer_driver_id = NULL, offer_expires_at = NULL, next_attempt_at = now(),
        updated_at = now()
    WHERE id = v_o.id
    RETURNING * INTO v_o;
    INSERT INTO dispatch.order_exclusions (order_id, driver_id, reason)
    VALUES (v_o.id, v_me, 'declined')
    ON CONFLICT (order_id, driver_id) DO UPDATE SET reason = 'declined', created_at = now();
    v_json := dispatch.order_json(v_o);
    v_evt := dispatch.emit('order.updated', v_o.id, v_me, v_label, v_json);

  WHEN 'status' THEN
    v_status := dispatch.json_text(v_args -> 'status', 'status');
    IF v_status IS NULL OR v_status NOT IN ('picked_up', 'delivered', 'failed') THEN
      PERFORM dispatch.raise_error('invalid_argument',
        'status must be one of picked_up, delivered, failed', 'status');
    END IF;
    v_reason := dispatch.json_text(v_args -> 'reason', 'reason', 1000);
    IF NOT ((v_status = 'picked_up' AND v_o.status = 'assigned')
            OR (v_status = 'delivered' AND v_o.status = 'picked_up')
            OR (v_status = 'failed' AND v_o.status IN ('assigned', 'picked_up'))) THEN
      PERFORM dispatch.raise_error('invalid_transition',
        format('an order that is %s cannot become %s', v_o.status, v_status));
    END IF;
    UPDATE dispatch.orders
    SET status = v_status,
        status_reason = CASE WHEN v_status = 'failed' THEN v_reason ELSE status_reason END,
        eta_seconds = CASE WHEN v_status = 'picked_up' THEN eta_seconds END,
        picked_up_at = CASE WHEN v_status = 'picked_up' THEN now() ELSE picked_up_at END,
        closed_at = CASE WHEN v_status <> 'picked_up' THEN now() END,
        updated_at = now()
    WHERE id = v_o.id
    RETURNING * INTO v_o;
    IF v_status <> 'picked_up' THEN
      PERFORM dispatch.settle_reservations(v_o.id, v_status = 'delivered');
      v_driver_changed := true;
    END IF;
    v_json := dispatch.order_json(v_o);
    v_evt := dispatch.emit('order.updated', v_o.id, v_o.driver_id, v_label, v_json);
    IF v_driver_changed THEN
      PERFORM dispatch.emit_driver(v_o.driver_id, v_label);
    END IF;

  WHEN 'cancel' THEN
    v_reason := dispatch.json_text(v_args -> 'reason', 'reason', 1000);
    IF v_o.status NOT IN ('pending', 'assigned') THEN
      PERFORM dispatch.raise_error('invalid_transition',
        format('an order that is %s cannot be cancelled', v_o.status));
    END IF;
    UPDATE dispatch.orders
    SET status = 'cancelled', status_reason = v_reason, eta_seconds = NULL,
        offer_driver_id = NULL, offer_expires_at = NULL, closed_at = now(),
        updated_at = now()
    WHERE id = v_o.id
    RETURNING * INTO v_o;
    PERFORM dispatch.settle_reservations(v_o.id, false);
    v_json := dispatch.order_json(v_o);
    v_evt := dispatch.emit('order.updated', v_o.id, v_o.driver_id, v_label, v_json);
    IF v_prev IS NOT NULL THEN
      PERFORM dispatch.emit_driver(v_prev, v_label);
    END IF;
  END CASE;

  -- v_json is the data of the last order event (v_evt), or NULL after a no-op
  IF v_json IS NULL THEN
    v_json := dispatch.order_json(v_o);
    v_evt := NULL;
  END IF;
  PERFORM dispatch.idem_finish(p_actor, p_idem_key, p_req_hash, v_json, v_evt);
  RETURN v_json;
END
$$;


--
-- Name: order_counts(); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.order_counts() RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_object_agg(s.status, coalesce(c.n, 0))
  FROM unnest(ARRAY['pending', 'assigned', 'picked_up', 'delivered', 'cancelled', 'failed'])
       AS s(status)
  LEFT JOIN (SELECT o.status, count(*) AS n FROM dispatch.orders o GROUP BY o.status) c
    ON c.status = s.status
$$;


--
-- Name: order_create(jsonb, text, text, jsonb); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.order_create(p_actor jsonb, p_idem_key text, p_req_hash text, p_body jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_replay jsonb;
  v_customer text;
  v_pickup jsonb;
  v_dropoff jsonb;
  v_p_lat double precision;
  v_p_lon double precision;
  v_d_lat double precision;
  v_d_lon double precision;
  v_items_in jsonb;
  v_item jsonb;
  v_skus text[] := '{}';
  v_names text[] := '{}';
  v_qtys bigint[] := '{}';
  v_prices bigint[] := '{}';
  v_res_skus text[] := '{}';
  v_res_qtys bigint[] := '{}';
  v_inv_names jsonb := '{}';
  v_items jsonb;
  v_contact jsonb;
  v_c jsonb;
  v_priority bigint;
  v_id uuid;
  v_o dispatch.orders;
  v_json jsonb;
  v_evt bigint;
  v_inv dispatch.inventory;
  r record;
BEGIN
  IF NOT (dispatch.is_staff(v_role) OR v_role = 'customer') THEN
    PERFORM dispatch.raise_error('permission_denied',
      'only customers and staff may create orders');
  END IF;
  IF p_body IS NULL OR jsonb_typeof(p_body) <> 'object' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'the body must be a JSON object');
  END IF;

  v_replay := dispatch.idem_begin(p_actor, p_idem_key, p_req_hash);
  IF v_replay IS NOT NULL THEN
    RETURN v_replay;
  END IF;

  -- customer
  v_customer := dispatch.json_text(p_body -> 'customer_id', 'customer_id', 200);
  IF v_customer = '' THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'customer_id must not be empty', 'customer_id');
  END IF;
  IF v_role = 'customer' THEN
    IF p_actor ->> 'customer_id' IS NULL THEN
      PERFORM dispatch.raise_error('permission_denied', 'the caller has no customer account');
    END IF;
    IF v_customer IS NOT NULL AND v_customer <> p_actor ->> 'customer_id' THEN
      PERFORM dispatch.raise_error('permission_denied',
        'customers may only create orders for themselves', 'customer_id');
    END IF;
    v_customer := p_actor ->> 'customer_id';
  END IF;

  -- places
  v_pickup := p_body -> 'pickup';
  v_dropoff := p_body -> 'dropoff';
  SELECT lat, lon INTO v_p_lat, v_p_lon FROM dispatch.json_place(v_pickup, 'pickup');
  SELECT lat, lon INTO v_d_lat, v_d_lon FROM dispatch.json_place(v_dropoff, 'dropoff');

  -- items
  v_items_in := p_body -> 'items';
  IF v_items_in IS NOT NULL AND jsonb_typeof(v_items_in) <> 'null' THEN
    IF jsonb_typeof(v_items_in) <> 'array' THEN
      PERFORM dispatch.raise_error('invalid_argument', 'items must be an array', 'items');
    END IF;
    IF jsonb_array_length(v_items_in) > 1000 THEN
      PERFORM dispatch.raise_error('invalid_argument', 'items must have at most 1000 entries',
                                   'items');
    END IF;
    FOR i IN 0 .. jsonb_array_length(v_items_in) - 1 LOOP
      v_item := v_items_in -> i;
      IF jsonb_typeof(v_item) <> 'object' THEN
        PERFORM dispatch.raise_error('invalid_argument',
          format('items[%s] must be an object', i), format('items[%s]', i));
      END IF;
      v_skus[i + 1] := dispatch.json_text(v_item -> 'sku', format('items[%s].sku', i), 200);
      IF v_skus[i + 1] IS NULL OR v_skus[i + 1] = '' THEN
        PERFORM dispatch.raise_error('invalid_argument',
          format('items[%s].sku is required', i), format('items[%s].sku', i));
      END IF;
      v_names[i + 1] := dispatch.json_text(v_item -> 'name', format('items[%s].name', i), 500);
      v_qtys[i + 1] := dispatch.json_int(v_item -> 'quantity', format('items[%s].quantity', i),
                                         1, 2147483647);
      IF v_qtys[i + 1] IS NULL THEN
        PERFORM dispatch.raise_error('invalid_argument',
          format('items[%s].quantity is required', i), format('items[%s].quantity', i));
      END IF;
      v_prices[i + 1] := dispatch.json_int(v_item -> 'price_cents',
                                           format('items[%s].price_cents', i),
                                           0, 9007199254740991);
    END LOOP;
  END IF;

  -- other members
  v_priority := coalesce(dispatch.json_int(p_body -> 'priority', 'priority', 0, 9), 0);
  v_c := p_body -> 'contact';
  IF v_c IS NOT NULL AND jsonb_typeof(v_c) <> 'null' THEN
    IF jsonb_typeof(v_c) <> 'object' THEN
      PERFORM dispatch.raise_error('invalid_argument', 'contact must be an object', 'contact');
    END IF;
    v_contact := jsonb_strip_nulls(jsonb_build_object(
      'name', dispatch.json_text(v_c -> 'name', 'contact.name', 200),
      'email', dispatch.json_text(v_c -> 'email', 'contact.email', 320),
      'phone', dispatch.json_text(v_c -> 'phone', 'contact.phone', 64)));
    IF v_contact = '{}'::jsonb THEN
      v_contact := NULL;
    END IF;
  END IF;

  -- reserve tracked SKUs, in sku order (lock order), all or nothing
  FOR r IN
    SELECT t.sku, sum(t.qty) AS qty, min(t.idx) - 1 AS first_idx
    FROM unnest(v_skus, v_qtys) WITH ORDINALITY AS t(sku, qty, idx)
    GROUP BY t.sku
    ORDER BY t.sku
  LOOP
    UPDATE dispatch.inventory
    SET reserved = reserved + r.qty, updated_at = now()
    WHERE sku = r.sku AND quantity - reserved >= r.qty
    RETURNING * INTO v_inv;
    IF FOUND THEN
      v_res_skus := array_append(v_res_skus, r.sku);
      v_res_qtys := array_append(v_res_qtys, r.qty::bigint);
      IF v_inv.name IS NOT NULL THEN
        v_inv_names := v_inv_names || jsonb_build_object(r.sku, v_inv.name);
      END IF;
    ELSIF EXISTS (SELECT 1 FROM dispatch.inventory WHERE sku = r.sku) THEN
      PERFORM dispatch.raise_error('insufficient_inventory',
        format('not enough stock for sku %s', r.sku),
        format('items[%s].quantity', r.first_idx));
    END IF;
  END LOOP;

  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'sku', t.sku,
           'name', coalesce(t.name, v_inv_names ->> t.sku),
           'quantity', t.qty,
           'price_cents', t.price) ORDER BY t.idx), '[]'::jsonb)
  INTO v_items
  FROM unnest(v_skus, v_names, v_qtys, v_prices) WITH ORDINALITY AS t(sku, name, qty, price, idx);

  v_id := dispatch.uuid_v7();
  INSERT INTO dispatch.orders (id, customer_id, pickup_lat, pickup_lon, pickup_address,
                               dropoff_lat, dropoff_lon, dropoff_address, items, notes,
                               priority, contact, tracking_token, created_by)
  VALUES (v_id, v_customer, v_p_lat, v_p_lon,
          dispatch.json_text(v_pickup -> 'address', 'pickup.address', 1000),
          v_d_lat, v_d_lon,
          dispatch.json_text(v_dropoff -> 'address', 'dropoff.address', 1000),
          v_items,
          dispatch.json_text(p_body -> 'notes', 'notes', 10000),
          v_priority, v_contact, dispatch.new_tracking_token(v_id),
          p_actor ->> 'user_id')
  RETURNING * INTO v_o;

  IF cardinality(v_res_skus) > 0 THEN
    INSERT INTO dispatch.order_reservations (order_id, sku, quantity)
    SELECT v_o.id, t.sku, t.qty FROM unnest(v_res_skus, v_res_qtys) AS t(sku, qty);
  END IF;

  v_json := dispatch.order_json(v_o);
  v_evt := dispatch.emit('order.created', v_o.id, NULL, dispatch.actor_label(p_actor), v_json);
  PERFORM dispatch.idem_finish(p_actor, p_idem_key, p_req_hash, v_json, v_evt);
  RETURN v_json;
END
$$;


--
-- Name: order_events(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.order_events(p_actor jsonb, p_id text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_o dispatch.orders;
  v_events jsonb;
BEGIN
  v_o := dispatch.visible_order(p_actor, p_id);
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', e.event_id, 'seq', s.seq, 'type', e.type,
           'occurred_at', dispatch.ts_json(e.occurred_at), 'actor', e.actor, 'data', e.data)
         ORDER BY e.id), '[]'::jsonb)
  INTO v_events
  FROM dispatch.outbox e
  LEFT JOIN dispatch.outbox_seq s ON s.outbox_id = e.id
  WHERE e.order_id = v_o.id;
  RETURN jsonb_build_object('events', v_events);
END
$$;


--
-- Name: order_get(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.order_get(p_actor jsonb, p_id text) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT dispatch.order_json(dispatch.visible_order(p_actor, p_id))
$$;


--
-- Name: order_json(dispatch.orders); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.order_json(o dispatch.orders) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object(
    'id', o.id,
    'customer_id', o.customer_id,
    'status', o.status,
    'status_reason', o.status_reason,
    'pickup', jsonb_build_object('lat', o.pickup_lat, 'lon', o.pickup_lon,
                                 'address', o.pickup_address),
    'dropoff', jsonb_build_object('lat', o.dropoff_lat, 'lon', o.dropoff_lon,
                                  'address', o.dropoff_address),
    'items', o.items,
    'notes', o.notes,
    'priority', o.priority,
    'driver_id', o.driver_id,
    'eta_seconds', o.eta_seconds,
    'tracking_token', o.tracking_token,
    'created_at', dispatch.ts_json(o.created_at),
    'updated_at', dispatch.ts_json(o.updated_at),
    'assignment_attempts', o.assignment_attempts,
    'manual', o.manual,
    'offer', CASE WHEN o.status = 'pending' AND o.offer_driver_id IS NOT NULL
                       AND o.offer_expires_at > now()
                  THEN jsonb_build_object('driver_id', o.offer_driver_id,
                                          'expires_at', dispatch.ts_json(o.offer_expires_at))
             END)
  || CASE WHEN o.contact IS NOT NULL THEN jsonb_build_object('contact', o.contact)
          ELSE '{}'::jsonb END
$$;


--
-- Name: order_list(jsonb, text, text, text, integer, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.order_list(p_actor jsonb, p_status text, p_customer_id text, p_driver_id text, p_limit integer, p_cursor text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $_$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_limit integer := dispatch.page_limit(p_limit);
  v_statuses text[];
  v_customer text := p_customer_id;
  v_driver uuid;
  v_c jsonb := dispatch.cursor_decode(p_cursor, 'orders');
  v_ct timestamptz;
  v_ci uuid;
  v_sql text;
  v_items jsonb[] := '{}';
  v_last dispatch.orders;
  v_next text;
  v_o dispatch.orders;
BEGIN
  IF p_status IS NOT NULL THEN
    SELECT array_agg(btrim(x)) INTO v_statuses FROM unnest(string_to_array(p_status, ',')) x;
    IF v_statuses IS NULL OR EXISTS (
         SELECT 1 FROM unnest(v_statuses) s
         WHERE s NOT IN ('pending', 'assigned', 'picked_up', 'delivered', 'cancelled', 'failed'))
    THEN
      PERFORM dispatch.raise_error('invalid_argument',
        'status must be one of pending, assigned, picked_up, delivered, cancelled, failed',
        'status');
    END IF;
  END IF;
  IF p_customer_id IS NOT NULL AND length(p_customer_id) NOT BETWEEN 1 AND 200 THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'customer_id must be 1 to 200 characters', 'customer_id');
  END IF;
  IF p_driver_id IS NOT NULL THEN
    v_driver := dispatch.to_uuid(p_driver_id);
    IF v_driver IS NULL THEN
      PERFORM dispatch.raise_error('invalid_argument', 'driver_id must be a driver id',
                                   'driver_id');
    END IF;
  END IF;
  IF v_c IS NOT NULL THEN
    v_ct := dispatch.cursor_ts(v_c, 't');
    v_ci := dispatch.to_uuid(v_c ->> 'i');
    IF v_ct IS NULL OR v_ci IS NULL THEN
      PERFORM dispatch.raise_error('invalid_argument', 'next is not a valid cursor', 'next');
    END IF;
  END IF;

  IF v_role = 'customer' THEN
    IF p_actor ->> 'customer_id' IS NULL
       OR (v_customer IS NOT NULL AND v_customer <> p_actor ->> 'customer_id') THEN
      RETURN jsonb_build_object('orders', '[]'::jsonb, 'next', NULL);
    END IF;
    v_customer := p_actor ->> 'customer_id';
  ELSIF v_role = 'driver' THEN
    IF dispatch.to_uuid(p_actor ->> 'driver_id') IS NULL
       OR (v_driver IS NOT NULL AND v_driver <> dispatch.to_uuid(p_actor ->> 'driver_id')) THEN
      RETURN jsonb_build_object('orders', '[]'::jsonb, 'next', NULL);
    END IF;
    v_driver := dispatch.to_uuid(p_actor ->> 'driver_id');
  END IF;

  -- fixed SQL fragments only; every value is a parameter
  v_sql := 'SELECT * FROM dispatch.orders o WHERE true';
  IF v_statuses IS NOT NULL THEN
    v_sql := v_sql || ' AND o.status = ANY ($1)';
  END IF;
  IF v_customer IS NOT NULL THEN
    v_sql := v_sql || ' AND o.customer_id = $2';
  END IF;
  IF v_driver IS NOT NULL THEN
    v_sql := v_sql || ' AND o.driver_id = $3';
  END IF;
  IF v_c IS NOT NULL THEN
    v_sql := v_sql || ' AND (o.created_at, o.id) < ($4, $5)';
  END IF;
  v_sql := v_sql || ' ORDER BY o.created_at DESC, o.id DESC LIMIT $6';

  FOR v_o IN EXECUTE v_sql USING v_statuses, v_customer, v_driver, v_ct, v_ci, v_limit + 1
  LOOP
    IF cardinality(v_items) = v_limit THEN
      v_next := dispatch.cursor_encode(jsonb_build_object(
        'k', 'orders', 't', dispatch.ts_json(v_last.created_at), 'i', v_last.id));
      EXIT;
    END IF;
    v_items := array_append(v_items, dispatch.order_json(v_o));
    v_last := v_o;
  END LOOP;
  RETURN jsonb_build_object('orders', to_jsonb(v_items), 'next', v_next);
END
$_$;


--
-- Name: order_tracking(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.order_tracking(p_actor jsonb, p_id text) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT dispatch.tracking_json(dispatch.visible_order(p_actor, p_id))
$$;


--
-- Name: order_visible(jsonb, dispatch.orders); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.order_visible(p_actor jsonb, o dispatch.orders) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  SELECT coalesce(CASE p_actor ->> 'role'
    WHEN 'admin' THEN true
    WHEN 'dispatcher' THEN true
    WHEN 'system' THEN true
    WHEN 'customer' THEN o.customer_id IS NOT NULL AND o.customer_id = p_actor ->> 'customer_id'
    WHEN 'driver' THEN
      dispatch.to_uuid(p_actor ->> 'driver_id') IS NOT NULL
      AND (o.driver_id = dispatch.to_uuid(p_actor ->> 'driver_id')
           OR (o.status = 'pending' AND o.offer_expires_at > now()
               AND o.offer_driver_id = dispatch.to_uuid(p_actor ->> 'driver_id')))
    ELSE false
  END, false)
$$;


--
-- Name: orders_back_to_pending(); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.orders_back_to_pending() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  NEW.pending_since := now();
  NEW.unassignable_alerted_at := NULL;
  RETURN NEW;
END
$$;


--
-- Name: orders_set_eta(uuid[], uuid[], text[], integer[]); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.orders_set_eta(p_ids uuid[], p_driver_ids uuid[], p_statuses text[], p_eta_seconds integer[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  PERFORM 1 FROM dispatch.orders o WHERE o.id = ANY (p_ids) ORDER BY o.id FOR UPDATE;

  UPDATE dispatch.orders o
  SET eta_seconds = greatest(u.eta, 0)
  FROM unnest(p_ids, p_driver_ids, p_statuses, p_eta_seconds) AS u(id, driver_id, status, eta)
  WHERE o.id = u.id AND o.driver_id = u.driver_id AND o.status = u.status
    AND o.eta_seconds IS DISTINCT FROM greatest(u.eta, 0);
END
$$;


--
-- Name: page_after(text, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.page_after(p_cursor text, p_kind text) RETURNS dispatch.page_key
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_c jsonb := dispatch.cursor_decode(p_cursor, p_kind);
  v dispatch.page_key;
BEGIN
  IF v_c IS NOT NULL THEN
    v.t := dispatch.cursor_ts(v_c, 't');
    v.i := dispatch.to_uuid(v_c ->> 'i');
    IF v.t IS NULL OR v.i IS NULL THEN
      PERFORM dispatch.raise_error('invalid_argument', 'next is not a valid cursor', 'next');
    END IF;
  END IF;
  RETURN v;
END
$$;


--
-- Name: page_json(text, integer, dispatch.page_row[]); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.page_json(p_kind text, p_limit integer, p_rows dispatch.page_row[]) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object(
    p_kind, coalesce((SELECT jsonb_agg(r.item ORDER BY r.n)
                      FROM unnest(p_rows) WITH ORDINALITY AS r (t, i, item, n)
                      WHERE r.n <= p_limit), '[]'::jsonb),
    'next', CASE WHEN cardinality(p_rows) > p_limit THEN
              dispatch.cursor_encode(jsonb_build_object(
                'k', p_kind, 't', dispatch.ts_json(p_rows[p_limit].t), 'i', p_rows[p_limit].i))
            END)
$$;


--
-- Name: page_limit(integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.page_limit(p_limit integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE WHEN p_limit IS NULL THEN 50 ELSE least(greatest(p_limit, 1), 500) END
$$;


--
-- Name: public_tracking_json(dispatch.orders); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.public_tracking_json(o dispatch.orders) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object(
    'order_id', o.id,
    'status', o.status,
    'eta_seconds', CASE WHEN o.status IN ('pending', 'assigned', 'picked_up')
                        THEN o.eta_seconds END,
    'driver', (SELECT jsonb_build_object(
                        'first_name', (regexp_match(d.name, '\S+'))[1],
                        'vehicle', d.vehicle,
                        'location', dispatch.location_json(d.lat, d.lon, d.heading, d.speed_mps,
                                                           d.accuracy_m, d.location_at))
               FROM dispatch.drivers d
               WHERE d.id = o.driver_id AND o.status IN ('assigned', 'picked_up')),
    'pickup', jsonb_build_object('lat', o.pickup_lat, 'lon', o.pickup_lon),
    'dropoff', jsonb_build_object('lat', o.dropoff_lat, 'lon', o.dropoff_lon),
    'updated_at', dispatch.ts_json(o.updated_at))
$$;


--
-- Name: purge_driver_locations(timestamp with time zone, integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.purge_driver_locations(p_before timestamp with time zone, p_limit integer) RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_n bigint;
BEGIN
  DELETE FROM dispatch.driver_locations l
  WHERE l.ctid = ANY (ARRAY(SELECT o.ctid FROM dispatch.driver_locations o
                            WHERE o.received_at < p_before
                            LIMIT greatest(p_limit, 1)));
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;


--
-- Name: purge_idempotency_keys(); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.purge_idempotency_keys() RETURNS bigint
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_n bigint;
BEGIN
  DELETE FROM dispatch.idempotency_keys WHERE created_at < now() - interval '24 hours';
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;


--
-- Name: raise_error(text, text, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.raise_error(p_code text, p_message text, p_field text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF p_field IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'DS001', MESSAGE = p_message, DETAIL = p_code;
  ELSE
    RAISE EXCEPTION USING ERRCODE = 'DS001', MESSAGE = p_message, DETAIL = p_code,
                          HINT = p_field;
  END IF;
END
$$;


--
-- Name: relay_claim(integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.relay_claim(p_limit integer) RETURNS TABLE(seq bigint, envelope jsonb)
    LANGUAGE plpgsql
    AS $$
#variable_conflict use_column
DECLARE
  v_last bigint;
  v_n bigint;
  v_limit integer := least(greatest(coalesce(p_limit, 1000), 1), 10000);
BEGIN
  -- 7144650001: the relay's lock (7144650002: ensure_first_admin)
  PERFORM pg_advisory_xact_lock(7144650001);
  SELECT s.last_seq INTO v_last FROM dispatch.relay_state s WHERE s.id = 1 FOR UPDATE;

  RETURN QUERY
  WITH picked AS (
    SELECT p.id, v_last + row_number() OVER (ORDER BY p.id) AS new_seq
    FROM (SELECT q.id FROM dispatch.outbox_pending q ORDER BY q.id LIMIT v_limit) p
  ), dequeued AS (
    DELETE FROM dispatch.outbox_pending q USING picked p WHERE q.id = p.id
  ), numbered AS (
    INSERT INTO dispatch.outbox_seq (seq, outbox_id)
    SELECT p.new_seq, p.id FROM picked p
    RETURNING outbox_seq.seq, outbox_seq.outbox_id
  )
  SELECT n.seq, dispatch.envelope_json(e, n.seq)
  FROM numbered n JOIN dispatch.outbox e ON e.id = n.outbox_id
  ORDER BY n.seq;

  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n > 0 THEN
    UPDATE dispatch.relay_state s SET last_seq = v_last + v_n WHERE s.id = 1;
  END IF;
  RETURN;
END
$$;


--
-- Name: require_admin(jsonb); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.require_admin(p_actor jsonb) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF dispatch.actor_role(p_actor) <> 'admin' THEN
    PERFORM dispatch.raise_error('permission_denied', 'only admins may manage webhooks');
  END IF;
END
$$;


--
-- Name: settle_reservations(uuid, boolean); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.settle_reservations(p_order_id uuid, p_consume boolean) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT sku, quantity FROM dispatch.order_reservations
    WHERE order_id = p_order_id ORDER BY sku
  LOOP
    UPDATE dispatch.inventory
    SET reserved = reserved - r.quantity,
        quantity = quantity - CASE WHEN p_consume THEN r.quantity ELSE 0 END,
        updated_at = now()
    WHERE sku = r.sku;
  END LOOP;
  DELETE FROM dispatch.order_reservations WHERE order_id = p_order_id;
END
$$;


--
-- Name: stream_recent_events(integer); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.stream_recent_events(p_limit integer) RETURNS TABLE(seq bigint, envelope jsonb)
    LANGUAGE sql STABLE
    AS $$
  SELECT e.seq, e.envelope
  FROM dispatch.events_since(
         (SELECT s.last_seq FROM dispatch.relay_state s WHERE s.id = 1)
           - least(greatest(coalesce(p_limit, 1000), 1), 10000),
         p_limit) e
$$;


--
-- Name: stream_snapshot(); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.stream_snapshot() RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object(
    'seq', (SELECT s.last_seq FROM dispatch.relay_state s WHERE s.id = 1),
    'orders', (SELECT coalesce(jsonb_agg(dispatch.order_json(o) ORDER BY o.created_at, o.id),
                               '[]'::jsonb)
               FROM dispatch.orders o
               WHERE o.status IN ('pending', 'assigned', 'picked_up')),
    'drivers', (SELECT coalesce(jsonb_agg(dispatch.driver_json(d) ORDER BY d.name, d.id),
                                '[]'::jsonb)
                FROM dispatch.drivers d))
$$;


--
-- Name: to_uuid(text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.to_uuid(p text) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $_$
  SELECT CASE
    WHEN p ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN p::uuid
  END
$_$;


--
-- Name: track_public(text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.track_public(p_token text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $_$
DECLARE
  v_id uuid;
  v_o dispatch.orders;
BEGIN
  IF p_token ~ '^[A-Za-z0-9_-]{46}$' THEN
    BEGIN
      v_id := encode(substring(decode(translate(p_token, '-_', '+/') || '==', 'base64')
                               FROM 1 FOR 16), 'hex')::uuid;
    EXCEPTION WHEN OTHERS THEN
      v_id := NULL;
    END;
  END IF;
  SELECT * INTO v_o FROM dispatch.orders WHERE id = v_id AND tracking_token = p_token;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'no such tracking token');
  END IF;
  RETURN dispatch.public_tracking_json(v_o);
END
$_$;


--
-- Name: track_public_order(text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.track_public_order(p_token text) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT dispatch.order_json(o)
  FROM dispatch.orders o
  WHERE o.id = (dispatch.track_public(p_token) ->> 'order_id')::uuid
$$;


--
-- Name: tracking_json(dispatch.orders); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.tracking_json(o dispatch.orders) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object(
    'order_id', o.id,
    'status', o.status,
    'driver', (SELECT jsonb_build_object(
                        'id', d.id, 'name', d.name,
                        'location', dispatch.location_json(d.lat, d.lon, d.heading, d.speed_mps,
                                                           d.accuracy_m, d.location_at))
               FROM dispatch.drivers d
               WHERE d.id = o.driver_id AND o.status IN ('assigned', 'picked_up')),
    'eta_seconds', CASE WHEN o.status IN ('pending', 'assigned', 'picked_up')
                        THEN o.eta_seconds END,
    'updated_at', dispatch.ts_json(o.updated_at))
$$;


--
-- Name: ts_json(timestamp with time zone); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.ts_json(p_ts timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  SELECT to_char(p_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;


--
-- Name: user_create(text, text, text, text, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.user_create(p_username text, p_password_hash text, p_role text, p_driver_id text, p_customer_id text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_driver uuid;
  v_customer text := p_customer_id;
  v_user dispatch.users;
BEGIN
  IF p_username IS NULL OR length(p_username) NOT BETWEEN 1 AND 64 THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'username must be 1 to 64 characters', 'username');
  END IF;
  IF p_password_hash IS NULL OR p_password_hash = '' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'password is required', 'password');
  END IF;
  IF p_role IS NULL OR p_role NOT IN ('admin', 'dispatcher', 'driver', 'customer') THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'role must be one of admin, dispatcher, driver, customer', 'role');
  END IF;
  IF p_driver_id IS NOT NULL AND p_role <> 'driver' THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'driver_id is only allowed for role driver', 'driver_id');
  END IF;
  IF p_customer_id IS NOT NULL AND p_role <> 'customer' THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'customer_id is only allowed for role customer', 'customer_id');
  END IF;
  IF p_customer_id IS NOT NULL AND length(p_customer_id) NOT BETWEEN 1 AND 200 THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'customer_id must be 1 to 200 characters', 'customer_id');
  END IF;
  IF EXISTS (SELECT 1 FROM dispatch.users WHERE username = p_username) THEN
    PERFORM dispatch.raise_error('conflict', 'username is already taken', 'username');
  END IF;

  IF p_role = 'driver' THEN
    IF p_driver_id IS NULL THEN
      INSERT INTO dispatch.drivers (name) VALUES (left(p_username, 200))
      RETURNING id INTO v_driver;
      PERFORM dispatch.emit_driver(v_driver, 'system');
    ELSE
      v_driver := dispatch.to_uuid(p_driver_id);
      IF v_driver IS NULL
         OR NOT EXISTS (SELECT 1 FROM dispatch.drivers WHERE id = v_driver) THEN
        PERFORM dispatch.raise_error('invalid_argument', 'unknown driver_id', 'driver_id');
      END IF;
    END IF;
  ELSIF p_role = 'customer' AND v_customer IS NULL THEN
    v_customer := gen_random_uuid()::text;
  END IF;

  -- the unique constraints are the real guard against concurrent creations
  INSERT INTO dispatch.users (username, password_hash, role, driver_id, customer_id)
  VALUES (p_username, p_password_hash, p_role, v_driver, v_customer)
  ON CONFLICT DO NOTHING
  RETURNING * INTO v_user;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM dispatch.users WHERE username = p_username) THEN
      PERFORM dispatch.raise_error('conflict', 'username is already taken', 'username');
    END IF;
    PERFORM dispatch.raise_error('conflict',
      'this driver already has a user', 'driver_id');
  END IF;
  RETURN dispatch.user_json(v_user);
END
$$;


--
-- Name: user_credentials(text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.user_credentials(p_username text) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object('id', u.id, 'username', u.username, 'role', u.role,
                            'driver_id', u.driver_id, 'customer_id', u.customer_id,
                            'password_hash', u.password_hash)
  FROM dispatch.users u
  WHERE u.username = p_username
$$;


--
-- Name: users; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    username text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL,
    driver_id uuid,
    customer_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_check CHECK (((driver_id IS NULL) OR (role = 'driver'::text))),
    CONSTRAINT users_check1 CHECK (((customer_id IS NULL) OR (role = 'customer'::text))),
    CONSTRAINT users_customer_id_check CHECK (((length(customer_id) >= 1) AND (length(customer_id) <= 200))),
    CONSTRAINT users_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'dispatcher'::text, 'driver'::text, 'customer'::text]))),
    CONSTRAINT users_username_check CHECK (((length(username) >= 1) AND (length(username) <= 64)))
);


--
-- Name: user_json(dispatch.users); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.user_json(u dispatch.users) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object(
    'id', u.id, 'username', u.username, 'role', u.role, 'driver_id', u.driver_id,
    'customer_id', u.customer_id, 'created_at', dispatch.ts_json(u.created_at))
$$;


--
-- Name: user_list(integer, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.user_list(p_limit integer, p_cursor text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_limit integer := dispatch.page_limit(p_limit);
  v_c jsonb := dispatch.cursor_decode(p_cursor, 'users');
  v_ct timestamptz;
  v_ci uuid;
  v_items jsonb[] := '{}';
  v_last dispatch.users;
  v_next text;
  r dispatch.users;
BEGIN
  IF v_c IS NOT NULL THEN
    v_ct := dispatch.cursor_ts(v_c, 't');
    v_ci := dispatch.to_uuid(v_c ->> 'i');
    IF v_ct IS NULL OR v_ci IS NULL THEN
      PERFORM dispatch.raise_error('invalid_argument', 'next is not a valid cursor', 'next');
    END IF;
  END IF;
  FOR r IN
    SELECT * FROM dispatch.users u
    WHERE v_c IS NULL OR (u.created_at, u.id) > (v_ct, v_ci)
    ORDER BY u.created_at, u.id
    LIMIT v_limit + 1
  LOOP
    IF cardinality(v_items) = v_limit THEN
      v_next := dispatch.cursor_encode(jsonb_build_object(
        'k', 'users', 't', dispatch.ts_json(v_last.created_at), 'i', v_last.id));
      EXIT;
    END IF;
    v_items := array_append(v_items, dispatch.user_json(r));
    v_last := r;
  END LOOP;
  RETURN jsonb_build_object('users', to_jsonb(v_items), 'next', v_next);
END
$$;


--
-- Name: visible_order(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.visible_order(p_actor jsonb, p_id text) RETURNS dispatch.orders
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_o dispatch.orders;
BEGIN
  SELECT * INTO v_o FROM dispatch.orders WHERE id = dispatch.to_uuid(p_id);
  IF NOT FOUND OR NOT dispatch.order_visible(p_actor, v_o) THEN
    PERFORM dispatch.raise_error('not_found', 'no such order');
  END IF;
  RETURN v_o;
END
$$;


--
-- Name: webhook_create(jsonb, text, jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.webhook_create(p_actor jsonb, p_url text, p_events jsonb, p_secret text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_w dispatch.webhooks;
BEGIN
  PERFORM dispatch.require_admin(p_actor);
  INSERT INTO dispatch.webhooks (url, events, secret)
  VALUES (p_url, ARRAY(SELECT jsonb_array_elements_text(p_events)), p_secret)
  RETURNING * INTO v_w;
  RETURN dispatch.webhook_json(v_w) || jsonb_build_object('secret', v_w.secret);
END
$$;


--
-- Name: webhook_dead_letter_retry(jsonb, text, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.webhook_dead_letter_retry(p_actor jsonb, p_id text, p_dead_letter_id text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_w dispatch.webhooks;
  v_n dispatch.notifications;
BEGIN
  PERFORM dispatch.require_admin(p_actor);
  v_w := dispatch.webhook_find(p_id);
  SELECT * INTO v_n FROM dispatch.notifications n
  WHERE n.id = dispatch.to_uuid(p_dead_letter_id) AND n.webhook_id = v_w.id
    AND n.dead_at IS NOT NULL AND n.status IN ('dead', 'pending')
  FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'dead letter not found');
  END IF;
  IF v_n.status = 'dead' THEN
    UPDATE dispatch.notifications n
    SET status = 'pending', next_attempt_at = now(), updated_at = now()
    WHERE n.id = v_n.id;
  END IF;
  RETURN dispatch.dead_letter_json(v_n);
END
$$;


--
-- Name: webhook_dead_letters(jsonb, text, integer, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.webhook_dead_letters(p_actor jsonb, p_id text, p_limit integer, p_cursor text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_limit integer := dispatch.page_limit(p_limit);
  v_after dispatch.page_key := dispatch.page_after(p_cursor, 'dead_letters');
  v_w dispatch.webhooks;
BEGIN
  PERFORM dispatch.require_admin(p_actor);
  v_w := dispatch.webhook_find(p_id);
  RETURN dispatch.page_json('dead_letters', v_limit, ARRAY(
    SELECT ROW(n.dead_at, n.id, dispatch.dead_letter_json(n))::dispatch.page_row
    FROM dispatch.notifications n
    WHERE n.webhook_id = v_w.id AND n.status = 'dead'
      AND (v_after.t IS NULL OR (n.dead_at, n.id) > (v_after.t, v_after.i))
    ORDER BY n.dead_at, n.id
    LIMIT v_limit + 1));
END
$$;


--
-- Name: webhook_delete(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.webhook_delete(p_actor jsonb, p_id text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_w dispatch.webhooks;
BEGIN
  PERFORM dispatch.require_admin(p_actor);
  DELETE FROM dispatch.webhooks w WHERE w.id = dispatch.to_uuid(p_id) RETURNING * INTO v_w;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'webhook not found');
  END IF;
  UPDATE dispatch.notifications n
  SET status = 'dropped', updated_at = now()
  WHERE n.webhook_id = v_w.id AND n.status IN ('pending', 'dead');
  RETURN '{}'::jsonb;
END
$$;


--
-- Name: webhooks; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.webhooks (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    url text NOT NULL,
    events text[] NOT NULL,
    secret text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhooks_events_check CHECK (((cardinality(events) >= 1) AND (cardinality(events) <= 8))),
    CONSTRAINT webhooks_secret_check CHECK (((length(secret) >= 16) AND (length(secret) <= 256))),
    CONSTRAINT webhooks_url_check CHECK (((length(url) >= 8) AND (length(url) <= 2048)))
);


--
-- Name: webhook_find(text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.webhook_find(p_id text) RETURNS dispatch.webhooks
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
  v_w dispatch.webhooks;
BEGIN
  SELECT * INTO v_w FROM dispatch.webhooks w WHERE w.id = dispatch.to_uuid(p_id);
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'webhook not found');
  END IF;
  RETURN v_w;
END
$$;


--
-- Name: webhook_get(jsonb, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.webhook_get(p_actor jsonb, p_id text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
BEGIN
  PERFORM dispatch.require_admin(p_actor);
  RETURN dispatch.webhook_json(dispatch.webhook_find(p_id));
END
$$;


--
-- Name: webhook_json(dispatch.webhooks); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.webhook_json(w dispatch.webhooks) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  SELECT jsonb_build_object('id', w.id, 'url', w.url, 'events', to_jsonb(w.events),
                            'created_at', dispatch.ts_json(w.created_at))
$$;


--
-- Name: webhook_list(jsonb, integer, text); Type: FUNCTION; Schema: dispatch; Owner: -
--

CREATE FUNCTION dispatch.webhook_list(p_actor jsonb, p_limit integer, p_cursor text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
DECLARE
  v_limit integer := dispatch.page_limit(p_limit);
  v_after dispatch.page_key := dispatch.page_after(p_cursor, 'webhooks');
BEGIN
  PERFORM dispatch.require_admin(p_actor);
  RETURN dispatch.page_json('webhooks', v_limit, ARRAY(
    SELECT ROW(w.created_at, w.id, dispatch.webhook_json(w))::dispatch.page_row
    FROM dispatch.webhooks w
    WHERE v_after.t IS NULL OR (w.created_at, w.id) > (v_after.t, v_after.i)
    ORDER BY w.created_at, w.id
    LIMIT v_limit + 1));
END
$$;


--
-- Name: driver_locations; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.driver_locations (
    driver_id uuid NOT NULL,
    recorded_at timestamp with time zone NOT NULL,
    lat double precision NOT NULL,
    lon double precision NOT NULL,
    heading double precision,
    speed_mps double precision,
    accuracy_m double precision,
    received_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: outbox_seq; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.outbox_seq (
    seq bigint NOT NULL,
    outbox_id bigint NOT NULL,
    published_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: events; Type: VIEW; Schema: dispatch; Owner: -
--

CREATE VIEW dispatch.events AS
 SELECT e.id,
    e.event_id,
    s.seq,
    e.type,
    e.order_id,
    e.driver_id,
    e.actor,
    e.occurred_at,
    e.data,
    s.published_at
   FROM (dispatch.outbox e
     LEFT JOIN dispatch.outbox_seq s ON ((s.outbox_id = e.id)));


--
-- Name: idempotency_keys; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.idempotency_keys (
    user_id text NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    response jsonb,
    response_event bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT idempotency_keys_check CHECK (((response IS NOT NULL) OR (response_event IS NOT NULL)))
);


--
-- Name: notify_state; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.notify_state (
    id integer NOT NULL,
    last_seq bigint NOT NULL,
    CONSTRAINT notify_state_id_check CHECK ((id = 1))
);


--
-- Name: order_exclusions; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.order_exclusions (
    order_id uuid NOT NULL,
    driver_id uuid NOT NULL,
    reason text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT order_exclusions_reason_check CHECK ((reason = ANY (ARRAY['unassigned'::text, 'declined'::text, 'expired'::text])))
);


--
-- Name: order_reservations; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.order_reservations (
    order_id uuid NOT NULL,
    sku text NOT NULL,
    quantity bigint NOT NULL,
    CONSTRAINT order_reservations_quantity_check CHECK ((quantity > 0))
);


--
-- Name: outbox_id_seq; Type: SEQUENCE; Schema: dispatch; Owner: -
--

CREATE SEQUENCE dispatch.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: outbox_id_seq; Type: SEQUENCE OWNED BY; Schema: dispatch; Owner: -
--

ALTER SEQUENCE dispatch.outbox_id_seq OWNED BY dispatch.outbox.id;


--
-- Name: outbox_pending; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.outbox_pending (
    id bigint NOT NULL
);


--
-- Name: relay_state; Type: TABLE; Schema: dispatch; Owner: -
--

CREATE TABLE dispatch.relay_state (
    id integer NOT NULL,
    last_seq bigint NOT NULL,
    CONSTRAINT relay_state_id_check CHECK ((id = 1))
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: outbox id; Type: DEFAULT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.outbox ALTER COLUMN id SET DEFAULT nextval('dispatch.outbox_id_seq'::regclass);


--
-- Data for Name: driver_locations; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: drivers; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: idempotency_keys; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: inventory; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: notifications; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: notify_state; Type: TABLE DATA; Schema: dispatch; Owner: -
--

INSERT INTO dispatch.notify_state VALUES (1, 0);


--
-- Data for Name: order_exclusions; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: order_reservations; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: orders; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: outbox; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: outbox_pending; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: outbox_seq; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: relay_state; Type: TABLE DATA; Schema: dispatch; Owner: -
--

INSERT INTO dispatch.relay_state VALUES (1, 0);


--
-- Data for Name: users; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: webhooks; Type: TABLE DATA; Schema: dispatch; Owner: -
--



--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_migrations VALUES (1, '0001-schema.sql', '8c31bb36723155882da0e609c6e330ae6d094bffc138339a527f77df0522c6ac', '2026-12-07 12:16:57.189362+00');
INSERT INTO public.schema_migrations VALUES (2, '0002-helpers.sql', 'e4019804bc501012890ac97a5210d91f40ec33f292a4ad5743f9162250598103', '2026-12-07 12:16:57.328272+00');
INSERT INTO public.schema_migrations VALUES (3, '0003-users.sql', 'a0a36b28db5325ce4a0fe0a0802df49f4262b77a3f6540566e01adc0e60c7f6f', '2026-12-07 12:16:57.339941+00');
INSERT INTO public.schema_migrations VALUES (4, '0004-drivers.sql', 'd9b215344579bbb8f7616b75a632f9c4bd11cd38f3a472ade1d383d0b8b0725d', '2026-12-07 12:16:57.343981+00');
INSERT INTO public.schema_migrations VALUES (5, '0005-inventory.sql', '28279e6104fab48fd8c5fed31f47c3aead3e25ffed25392219ea15a540053a53', '2026-12-07 12:16:57.347873+00');
INSERT INTO public.schema_migrations VALUES (6, '0006-orders.sql', 'd6a8c59ff6b6e7f5ee22d5c8f787f9805dd37b21d2c6720ea1b31291b4f195e2', '2026-12-07 12:16:57.352057+00');
INSERT INTO public.schema_migrations VALUES (7, '0007-relay.sql', 'fb572fdec4a0ce18899463295bcab6ff782c70dc237ebfbba9b4187fca314d79', '2026-12-07 12:16:57.361798+00');
INSERT INTO public.schema_migrations VALUES (10, '0010-live.sql', '2b32a78bcf86970aa7c5e4024f43a74be495d71cb0edb66ed839a012eacb4a71', '2026-12-07 12:16:57.363879+00');
INSERT INTO public.schema_migrations VALUES (20, '0020-notifications.sql', 'e661b4df60cf82df92a59303fbd094c60b40b04ff9842aee11c83a5ccbb01cd6', '2026-12-07 12:16:57.37193+00');
INSERT INTO public.schema_migrations VALUES (21, '0021-webhooks.sql', '1559e270f96d28ad754dcbff81fa1678ce239d1cc8c6b914cb3364e4ac107447', '2026-12-07 12:16:57.415579+00');
INSERT INTO public.schema_migrations VALUES (30, '0030-dispatch-engine.sql', '91d1ca868a29f40a004fb3246d28dbdfcdaa08cdc1d0ddcc27230e894cb52794', '2026-12-07 12:16:57.420381+00');
INSERT INTO public.schema_migrations VALUES (31, '0031-driver-auto-dispatch.sql', 'f0ffd1f7b4b0788dead87b17b82687bdad9fb1d69864ad7e6aa45be838487fe5', '2026-12-07 12:16:57.428354+00');
INSERT INTO public.schema_migrations VALUES (40, '0040-streams.sql', 'a8b0a1d3b2b58e1b6019c1a53eb91ff4f46ee4fd1b30ffaa7792d678bc806c5e', '2026-12-07 12:16:57.432182+00');


--
-- Name: outbox_id_seq; Type: SEQUENCE SET; Schema: dispatch; Owner: -
--

SELECT pg_catalog.setval('dispatch.outbox_id_seq', 1, false);


--
-- Name: drivers drivers_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.drivers
    ADD CONSTRAINT drivers_pkey PRIMARY KEY (id);


--
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key);


--
-- Name: inventory inventory_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.inventory
    ADD CONSTRAINT inventory_pkey PRIMARY KEY (sku);


--
-- Name: notifications notifications_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.notifications
    ADD CONSTRAINT notifications_pkey PRIMARY KEY (id);


--
-- Name: notify_state notify_state_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.notify_state
    ADD CONSTRAINT notify_state_pkey PRIMARY KEY (id);


--
-- Name: order_exclusions order_exclusions_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.order_exclusions
    ADD CONSTRAINT order_exclusions_pkey PRIMARY KEY (order_id, driver_id);


--
-- Name: order_reservations order_reservations_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.order_reservations
    ADD CONSTRAINT order_reservations_pkey PRIMARY KEY (order_id, sku);


--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);


--
-- Name: outbox_pending outbox_pending_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.outbox_pending
    ADD CONSTRAINT outbox_pending_pkey PRIMARY KEY (id);


--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);


--
-- Name: outbox_seq outbox_seq_outbox_id_key; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.outbox_seq
    ADD CONSTRAINT outbox_seq_outbox_id_key UNIQUE (outbox_id);


--
-- Name: outbox_seq outbox_seq_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.outbox_seq
    ADD CONSTRAINT outbox_seq_pkey PRIMARY KEY (seq);


--
-- Name: relay_state relay_state_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.relay_state
    ADD CONSTRAINT relay_state_pkey PRIMARY KEY (id);


--
-- Name: users users_driver_id_key; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.users
    ADD CONSTRAINT users_driver_id_key UNIQUE (driver_id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: users users_username_key; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.users
    ADD CONSTRAINT users_username_key UNIQUE (username);


--
-- Name: webhooks webhooks_pkey; Type: CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.webhooks
    ADD CONSTRAINT webhooks_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: driver_locations_driver_time_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX driver_locations_driver_time_idx ON dispatch.driver_locations USING btree (driver_id, recorded_at);


--
-- Name: driver_locations_received_brin; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX driver_locations_received_brin ON dispatch.driver_locations USING brin (received_at);


--
-- Name: drivers_name_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX drivers_name_idx ON dispatch.drivers USING btree (name, id);


--
-- Name: idempotency_keys_created_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX idempotency_keys_created_idx ON dispatch.idempotency_keys USING brin (created_at);


--
-- Name: notifications_due_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX notifications_due_idx ON dispatch.notifications USING btree (next_attempt_at) WHERE (status = 'pending'::text);


--
-- Name: notifications_event_target_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE UNIQUE INDEX notifications_event_target_idx ON dispatch.notifications USING btree (event_id, channel, target, webhook_id) NULLS NOT DISTINCT;


--
-- Name: notifications_order_mail_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE UNIQUE INDEX notifications_order_mail_idx ON dispatch.notifications USING btree (order_id, template, target) WHERE ((channel = 'email'::text) AND (template <> 'assigned'::text));


--
-- Name: notifications_webhook_open_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX notifications_webhook_open_idx ON dispatch.notifications USING btree (webhook_id, dead_at, id) WHERE (status = ANY (ARRAY['pending'::text, 'dead'::text]));


--
-- Name: orders_active_driver_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX orders_active_driver_idx ON dispatch.orders USING btree (driver_id) WHERE (status = ANY (ARRAY['assigned'::text, 'picked_up'::text]));


--
-- Name: orders_created_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX orders_created_idx ON dispatch.orders USING btree (created_at, id);


--
-- Name: orders_customer_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX orders_customer_idx ON dispatch.orders USING btree (customer_id, created_at, id) WHERE (customer_id IS NOT NULL);


--
-- Name: orders_driver_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX orders_driver_idx ON dispatch.orders USING btree (driver_id, created_at, id) WHERE (driver_id IS NOT NULL);


--
-- Name: orders_offer_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX orders_offer_idx ON dispatch.orders USING btree (offer_driver_id) WHERE (offer_driver_id IS NOT NULL);


--
-- Name: orders_status_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX orders_status_idx ON dispatch.orders USING btree (status, created_at, id);


--
-- Name: outbox_order_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX outbox_order_idx ON dispatch.outbox USING btree (order_id, id) WHERE (order_id IS NOT NULL);


--
-- Name: users_created_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX users_created_idx ON dispatch.users USING btree (created_at, id);


--
-- Name: webhooks_created_idx; Type: INDEX; Schema: dispatch; Owner: -
--

CREATE INDEX webhooks_created_idx ON dispatch.webhooks USING btree (created_at, id);


--
-- Name: orders orders_back_to_pending; Type: TRIGGER; Schema: dispatch; Owner: -
--

CREATE TRIGGER orders_back_to_pending BEFORE UPDATE OF status ON dispatch.orders FOR EACH ROW WHEN (((new.status = 'pending'::text) AND (old.status <> 'pending'::text))) EXECUTE FUNCTION dispatch.orders_back_to_pending();


--
-- Name: order_exclusions order_exclusions_order_id_fkey; Type: FK CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.order_exclusions
    ADD CONSTRAINT order_exclusions_order_id_fkey FOREIGN KEY (order_id) REFERENCES dispatch.orders(id) ON DELETE CASCADE;


--
-- Name: order_reservations order_reservations_order_id_fkey; Type: FK CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.order_reservations
    ADD CONSTRAINT order_reservations_order_id_fkey FOREIGN KEY (order_id) REFERENCES dispatch.orders(id) ON DELETE CASCADE;


--
-- Name: orders orders_driver_id_fkey; Type: FK CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.orders
    ADD CONSTRAINT orders_driver_id_fkey FOREIGN KEY (driver_id) REFERENCES dispatch.drivers(id);


--
-- Name: orders orders_offer_driver_id_fkey; Type: FK CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.orders
    ADD CONSTRAINT orders_offer_driver_id_fkey FOREIGN KEY (offer_driver_id) REFERENCES dispatch.drivers(id);


--
-- Name: users users_driver_id_fkey; Type: FK CONSTRAINT; Schema: dispatch; Owner: -
--

ALTER TABLE ONLY dispatch.users
    ADD CONSTRAINT users_driver_id_fkey FOREIGN KEY (driver_id) REFERENCES dispatch.drivers(id);


--
-- PostgreSQL database dump complete
--


