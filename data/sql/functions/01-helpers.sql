-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Helpers shared by the API functions: ids, the events view, errors, input
-- checks, actors, times, cursors, geo, JSON renderers, the outbox writer and
-- idempotency. Internal: the server calls only the functions of
-- docs/architecture.md.

-- A time-ordered uuid (version 7 layout: 48-bit Unix milliseconds, then 74
-- random bits). Used for order ids so that index insertions append instead of
-- touching random pages (far less WAL: no full-page image per insert).
-- PL/pgSQL, not SQL: a SQL function with a FROM clause is not inlined, and
-- PL/pgSQL (which calls it per order) would parse and plan it at every call.
CREATE OR REPLACE FUNCTION dispatch.uuid_v7()
RETURNS uuid LANGUAGE plpgsql VOLATILE PARALLEL SAFE AS $$
DECLARE
  v_b bytea := uuid_send(gen_random_uuid());
BEGIN
  v_b := overlay(v_b PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp())
                                                      * 1000)::bigint) FROM 3)
                 FROM 1 FOR 6);
  RETURN encode(set_byte(v_b, 6, (get_byte(v_b, 6) & 15) | 112), 'hex')::uuid;
END
$$;

-- Events with their seq (NULL until numbered), for reading and tools.
CREATE OR REPLACE VIEW dispatch.events AS
  SELECT e.id, e.event_id, s.seq, e.type, e.order_id, e.driver_id, e.actor, e.occurred_at,
         e.data, s.published_at
  FROM dispatch.outbox e
  LEFT JOIN dispatch.outbox_seq s ON s.outbox_id = e.id;

-- Raises the domain error the pool maps to a DISPATCH_ERROR:
-- SQLSTATE DS001, MESSAGE = client message, DETAIL = API error code,
-- HINT = field path (absent when p_field is NULL).
CREATE OR REPLACE FUNCTION dispatch.raise_error(p_code text, p_message text,
                                                p_field text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_field IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'DS001', MESSAGE = p_message, DETAIL = p_code;
  ELSE
    RAISE EXCEPTION USING ERRCODE = 'DS001', MESSAGE = p_message, DETAIL = p_code,
                          HINT = p_field;
  END IF;
END
$$;

-- The text as a uuid when it is one in canonical form (any case), else NULL.
-- Every user-controlled uuid goes through this: a failed cast would be a 500.
CREATE OR REPLACE FUNCTION dispatch.to_uuid(p text)
RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN p ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN p::uuid
  END
$$;

-- JSON member types (defensive: a wrong type would fail a cast with a 500).
-- Shapes and limits are the C side's (shared/dispatch-limits.h), which
-- validates first; the tables' CHECK constraints are the backstop. SQL NULL
-- and JSON null both mean "absent" and give NULL.
CREATE OR REPLACE FUNCTION dispatch.json_text(p_val jsonb, p_field text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_val IS NULL OR jsonb_typeof(p_val) = 'null' THEN
    RETURN NULL;
  END IF;
  IF jsonb_typeof(p_val) <> 'string' THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || ' must be a string', p_field);
  END IF;
  RETURN p_val #>> '{}';
END
$$;

-- A JSON number that converts to double precision without overflow or
-- underflow (a failed conversion would not be a domain error).
CREATE OR REPLACE FUNCTION dispatch.json_is_float(p jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof(p) = 'number' THEN
    abs((p #>> '{}')::numeric) <= 1e300
    AND ((p #>> '{}')::numeric = 0 OR abs((p #>> '{}')::numeric) >= 1e-300)
  ELSE false END
$$;

CREATE OR REPLACE FUNCTION dispatch.json_num(p_val jsonb, p_field text)
RETURNS double precision LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_val IS NULL OR jsonb_typeof(p_val) = 'null' THEN
    RETURN NULL;
  END IF;
  IF NOT dispatch.json_is_float(p_val) THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || ' must be a number', p_field);
  END IF;
  RETURN (p_val #>> '{}')::double precision;
END
$$;

-- An integer that fits a bigint (the C side's limits are far below).
CREATE OR REPLACE FUNCTION dispatch.json_int(p_val jsonb, p_field text)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
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
  IF v <> trunc(v) OR abs(v) > 9223372036854775807 THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || ' must be an integer', p_field);
  END IF;
  RETURN v::bigint;
END
$$;

-- The caller's role ('admin', 'dispatcher', 'driver', 'customer', 'system');
-- anything else is refused.
CREATE OR REPLACE FUNCTION dispatch.actor_role(p_actor jsonb)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_role text := p_actor ->> 'role';
BEGIN
  IF v_role IS NULL OR v_role NOT IN ('admin', 'dispatcher', 'driver', 'customer', 'system') THEN
    PERFORM dispatch.raise_error('permission_denied', 'unknown caller');
  END IF;
  RETURN v_role;
END
$$;

-- Staff may see and act on everything (automation too).
CREATE OR REPLACE FUNCTION dispatch.is_staff(p_role text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_role IN ('admin', 'dispatcher', 'system')
$$;

-- The actor as recorded in events: "<role>:<user_id>", or "system".
CREATE OR REPLACE FUNCTION dispatch.actor_label(p_actor jsonb)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN p_actor ->> 'role' = 'system' OR p_actor ->> 'user_id' IS NULL THEN 'system'
    ELSE (p_actor ->> 'role') || ':' || (p_actor ->> 'user_id')
  END
$$;

-- RFC 3339 UTC with microseconds, "2026-11-22T10:00:00.123456Z"; NULL → NULL.
CREATE OR REPLACE FUNCTION dispatch.ts_json(p_ts timestamptz)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT to_char(p_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- base64url without padding.
CREATE OR REPLACE FUNCTION dispatch.base64url(p bytea)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT rtrim(translate(encode(p, 'base64'), E'+/\n', '-_'), '=')
$$;

-- HMAC-SHA256 (RFC 2104) of p under the server's cursor key, cut to 128 bits.
-- dispatchd derives the key from its token secret and gives each session the
-- key XORed with the two pads, as settings dispatch.cursor_ipad and
-- dispatch.cursor_opad (hex), so only the built-in sha256() is needed. A
-- session without them (not dispatchd's) cannot make or read cursors.
CREATE OR REPLACE FUNCTION dispatch.cursor_mac(p text)
RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT substring(sha256(decode(current_setting('dispatch.cursor_opad'), 'hex')
                          || sha256(decode(current_setting('dispatch.cursor_ipad'), 'hex')
                                    || convert_to(p, 'UTF8')))
                   FROM 1 FOR 16)
$$;

-- Cursors are "<payload>.<mac>": the payload is base64url of a small JSON
-- object {"k": kind, ...}, the mac its dispatch.cursor_mac() in base64url, so
-- that a cursor the server did not issue is refused. Opaque to clients.
CREATE OR REPLACE FUNCTION dispatch.cursor_encode(p jsonb)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT s.v || '.' || dispatch.base64url(dispatch.cursor_mac(s.v))
  FROM (SELECT dispatch.base64url(convert_to(p::text, 'UTF8')) AS v) s
$$;

-- The cursor's object when the server issued it and it is one of kind p_kind;
-- else invalid_argument on field "next". Never lets a decoding error escape.
CREATE OR REPLACE FUNCTION dispatch.cursor_decode(p_cursor text, p_kind text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_payload text;
  v_b64 text;
  v jsonb;
BEGIN
  IF p_cursor IS NULL THEN
    RETURN NULL;
  END IF;
  IF length(p_cursor) <= 2000 AND p_cursor ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$' THEN
    v_payload := split_part(p_cursor, '.', 1);
    IF split_part(p_cursor, '.', 2) = dispatch.base64url(dispatch.cursor_mac(v_payload)) THEN
      v_b64 := translate(v_payload, '-_', '+/');
      v_b64 := v_b64 || repeat('=', (4 - length(v_b64) % 4) % 4);
      BEGIN
        v := convert_from(decode(v_b64, 'base64'), 'UTF8')::jsonb;
      EXCEPTION WHEN OTHERS THEN
        v := NULL;
      END;
    END IF;
  END IF;
  IF v IS NULL OR jsonb_typeof(v) <> 'object' OR v ->> 'k' IS DISTINCT FROM p_kind THEN
    PERFORM dispatch.raise_error('invalid_argument', 'next is not a valid cursor', 'next');
  END IF;
  RETURN v;
END
$$;

-- A timestamptz / uuid / numeric member of a decoded cursor, NULL when it is
-- not one (the caller then reports the cursor as invalid).
CREATE OR REPLACE FUNCTION dispatch.cursor_ts(p jsonb, p_key text)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF jsonb_typeof(p -> p_key) IS DISTINCT FROM 'string'
     OR (p ->> p_key) !~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$' THEN
    RETURN NULL;
  END IF;
  RETURN (p ->> p_key)::timestamptz;
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END
$$;

-- Pages of lists (types dispatch.page_key and page_row). The position a
-- cursor of kind p_kind points after; (NULL, NULL) without one;
-- invalid_argument on field "next" for a cursor we did not issue.
CREATE OR REPLACE FUNCTION dispatch.page_after(p_cursor text, p_kind text)
RETURNS dispatch.page_key LANGUAGE plpgsql STABLE AS $$
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

-- {p_kind: the items of the first p_limit rows, "next": a cursor of kind
-- p_kind after the last of them, or null when there is no row beyond}.
-- p_rows: the next p_limit + 1 rows of the list, in order.
CREATE OR REPLACE FUNCTION dispatch.page_json(p_kind text, p_limit integer,
                                              p_rows dispatch.page_row[])
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    p_kind, coalesce((SELECT jsonb_agg(r.item ORDER BY r.n)
                      FROM unnest(p_rows) WITH ORDINALITY AS r (t, i, item, n)
                      WHERE r.n <= p_limit), '[]'::jsonb),
    'next', CASE WHEN cardinality(p_rows) > p_limit THEN
              dispatch.cursor_encode(jsonb_build_object(
                'k', p_kind, 't', dispatch.ts_json(p_rows[p_limit].t), 'i', p_rows[p_limit].i))
            END)
$$;

-- {p_member: the first p_limit of p_items, "next": a cursor after the last of
-- them (its key in p_keys, with the cursor's kind) or null when there is no
-- item beyond}. p_items and p_keys: the next p_limit + 1 items of a list in
-- order (NULL: none) and the cursor key of each. For lists ordered by other
-- keys than page_json's (created_at, id).
CREATE OR REPLACE FUNCTION dispatch.keyed_page_json(p_member text, p_limit integer,
                                                    p_items jsonb[], p_keys jsonb[])
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    p_member, to_jsonb(coalesce(p_items[1:p_limit], '{}')),
    'next', CASE WHEN cardinality(p_items) > p_limit THEN
              dispatch.cursor_encode(p_keys[p_limit])
            END)
$$;

-- Great-circle distance in metres (same radius as shared/dispatch-geo.h).
CREATE OR REPLACE FUNCTION dispatch.haversine_m(lat1 double precision, lon1 double precision,
                                                lat2 double precision, lon2 double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 2 * 6371008.8 * atan2(
    sqrt(power(sin(radians(lat2 - lat1) / 2), 2)
         + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2)),
    sqrt(greatest(0.0, 1 - (power(sin(radians(lat2 - lat1) / 2), 2)
         + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2)))))
$$;

-- {"lat","lon","heading"?,"speed_mps"?,"accuracy_m"?,"recorded_at"}, null
-- optionals omitted; SQL NULL when there is no position.
CREATE OR REPLACE FUNCTION dispatch.location_json(p_lat double precision,
                                                  p_lon double precision,
                                                  p_heading double precision,
                                                  p_speed_mps double precision,
                                                  p_accuracy_m double precision,
                                                  p_recorded_at timestamptz)
RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_lat IS NOT NULL AND p_lon IS NOT NULL THEN
    jsonb_strip_nulls(jsonb_build_object(
      'lat', p_lat, 'lon', p_lon, 'heading', p_heading, 'speed_mps', p_speed_mps,
      'accuracy_m', p_accuracy_m, 'recorded_at', dispatch.ts_json(p_recorded_at)))
  END
$$;

-- The order object. "offer" is {"driver_id","expires_at"} while a live offer
-- exists, else null; "contact" only when set; "proof" what the delivery
-- requires and has (functions/13-proof.sql), never the PIN itself.
CREATE OR REPLACE FUNCTION dispatch.order_json(o dispatch.orders)
RETURNS jsonb LANGUAGE sql STABLE AS $$
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
    'held', o.held,
    'zone_id', o.zone_id,
    'failure_code', o.failure_code,
    'load', jsonb_build_object('weight_kg', o.load_weight_kg, 'volume_l', o.load_volume_l),
    'proof', jsonb_build_object(
      'required', to_jsonb(array_remove(ARRAY[
        CASE WHEN o.proof_pin IS NOT NULL THEN 'pin' END,
        CASE WHEN o.proof_photo THEN 'photo' END,
        CASE WHEN o.proof_signature THEN 'signature' END], NULL)),
      'pin_verified', o.proof_pin_verified_at IS NOT NULL,
      'pin_attempts_left', 5 - o.proof_pin_attempts,
      'photo_at', dispatch.ts_json(o.proof_photo_at),
      'signature_at', dispatch.ts_json(o.proof_signature_at)),
    'offer', CASE WHEN o.status = 'pending' AND o.offer_driver_id IS NOT NULL
                       AND o.offer_expires_at > now()
                  THEN jsonb_build_object('driver_id', o.offer_driver_id,
                                          'expires_at', dispatch.ts_json(o.offer_expires_at))
             END)
  || jsonb_build_object(
       'ready_at', dispatch.ts_json(o.ready_at),
       'deliver_after', dispatch.ts_json(o.deliver_after),
       'deliver_before', dispatch.ts_json(o.deliver_before),
       'pickup_at', dispatch.ts_json(o.pickup_at),
       'at_risk', o.at_risk_alerted_at IS NOT NULL)
  || CASE WHEN o.contact IS NOT NULL THEN jsonb_build_object('contact', o.contact)
          ELSE '{}'::jsonb END
$$;

-- The order object as p_actor gets it: drivers never get the tracking token,
-- the customer's key to the public tracking page, which shows the delivery
-- PIN the driver must ask the customer for (functions/13-proof.sql). Events
-- get the same treatment in C (server/bus/dsd-event-view.c).
CREATE OR REPLACE FUNCTION dispatch.order_for(p_actor jsonb, p_order jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_actor ->> 'role' = 'driver' THEN p_order - 'tracking_token' ELSE p_order END
$$;

-- The ids of each driver's active (assigned, picked_up) orders, oldest first,
-- for the drivers that have some: (driver_id, ids jsonb).
CREATE OR REPLACE VIEW dispatch.driver_active_order_ids AS
  SELECT x.driver_id, jsonb_agg(x.id ORDER BY x.created_at, x.id) AS ids
  FROM dispatch.orders x
  WHERE x.status IN ('assigned', 'picked_up')
  GROUP BY x.driver_id;

-- The ids of a driver's active orders (the condition on driver_id reaches the
-- index through the view's GROUP BY).
CREATE OR REPLACE FUNCTION dispatch.driver_active_orders(p_driver_id uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT a.ids FROM dispatch.driver_active_order_ids a
                   WHERE a.driver_id = p_driver_id), '[]'::jsonb)
$$;

-- 'offline' | 'busy' | 'idle'
CREATE OR REPLACE FUNCTION dispatch.driver_state(p_online boolean, p_driver_id uuid)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN NOT p_online THEN 'offline'
    WHEN EXISTS (SELECT 1 FROM dispatch.orders x
                 WHERE x.driver_id = p_driver_id AND x.status IN ('assigned', 'picked_up'))
      THEN 'busy'
    ELSE 'idle'
  END
$$;

-- The driver object with its active orders p_active (driver_active_orders).
-- No FROM clause, so that the planner inlines it: the stream snapshot renders
-- 20,000 drivers with it in one join instead of 20,000 function calls.
CREATE OR REPLACE FUNCTION dispatch.driver_json(d dispatch.drivers, p_active jsonb)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', d.id,
    'name', d.name,
    'phone', d.phone,
    'vehicle', d.vehicle,
    'capacity', d.capacity,
    'online', d.online,
    'state', CASE WHEN NOT d.online THEN 'offline'
                  WHEN jsonb_array_length(p_active) > 0 THEN 'busy'
                  ELSE 'idle' END,
    'location', dispatch.location_json(d.lat, d.lon, d.heading, d.speed_mps, d.accuracy_m,
                                       d.location_at),
    'active_orders', p_active,
    'auto_dispatch', d.auto_dispatch,
    'last_seen_at', dispatch.ts_json(d.last_seen_at),
    'max_weight_kg', d.max_weight_kg,
    'max_volume_l', d.max_volume_l,
    -- what the active orders weigh, for drivers with vehicle limits only
    'load', CASE WHEN d.max_weight_kg IS NOT NULL OR d.max_volume_l IS NOT NULL THEN
              (SELECT jsonb_build_object('weight_kg', coalesce(sum(x.load_weight_kg), 0),
                                         'volume_l', coalesce(sum(x.load_volume_l), 0))
               FROM dispatch.orders x
               WHERE x.driver_id = d.id AND x.status IN ('assigned', 'picked_up')) END)
$$;

-- The driver object.
CREATE OR REPLACE FUNCTION dispatch.driver_json(d dispatch.drivers)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT dispatch.driver_json(d, dispatch.driver_active_orders(d.id))
$$;

-- The user object (never the hash).
CREATE OR REPLACE FUNCTION dispatch.user_json(u dispatch.users)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', u.id, 'username', u.username, 'role', u.role, 'driver_id', u.driver_id,
    'customer_id', u.customer_id, 'disabled', u.disabled,
    'created_at', dispatch.ts_json(u.created_at))
$$;

-- The inventory object.
CREATE OR REPLACE FUNCTION dispatch.inventory_json(i dispatch.inventory)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('sku', i.sku, 'name', i.name, 'quantity', i.quantity,
                            'reserved', i.reserved, 'available', i.quantity - i.reserved)
$$;

-- The tracking object: {"order_id","status","driver":{"id","name","location"}|null,
-- "eta_seconds","updated_at"}. driver and eta_seconds only while the order is
-- assigned or picked up.
CREATE OR REPLACE FUNCTION dispatch.tracking_json(o dispatch.orders)
RETURNS jsonb LANGUAGE sql STABLE AS $$
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

-- The public tracking object: no PII (no addresses, notes, items, contact,
-- customer or driver ids, phone, last name).
CREATE OR REPLACE FUNCTION dispatch.public_tracking_json(o dispatch.orders)
RETURNS jsonb LANGUAGE sql STABLE AS $$
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
    'updated_at', dispatch.ts_json(o.updated_at),
    'ended_at', dispatch.ts_json(o.ended_at))
$$;

-- Visibility of an order: staff all (a dispatcher scoped to teams: the orders
-- of its teams' zones, dispatch.scope_zones), a customer their own, a driver
-- the orders assigned to them (also after delivery) and those with a live
-- offer to them.
CREATE OR REPLACE FUNCTION dispatch.order_visible(p_actor jsonb, o dispatch.orders)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN coalesce(CASE p_actor ->> 'role'
    WHEN 'admin' THEN true
    WHEN 'dispatcher' THEN dispatch.scope_has_zone(p_actor, o.zone_id)
    WHEN 'system' THEN true
    WHEN 'customer' THEN o.customer_id IS NOT NULL AND o.customer_id = p_actor ->> 'customer_id'
    WHEN 'driver' THEN
      dispatch.to_uuid(p_actor ->> 'driver_id') IS NOT NULL
      AND (o.driver_id = dispatch.to_uuid(p_actor ->> 'driver_id')
           OR (o.status = 'pending' AND o.offer_expires_at > now()
               AND o.offer_driver_id = dispatch.to_uuid(p_actor ->> 'driver_id')))
    ELSE false
  END, false);
END
$$;

-- Wakes the relay with NOTIFY dispatch_outbox (merged per transaction,
-- delivered at commit) after a transaction wrote outbox rows.
-- NOTIFY takes a database-wide lock from pre-commit until the commit record is
-- flushed, so notifying transactions cannot share a WAL flush (no group
-- commit). dispatchd's own sessions turn it off (SET dispatch.outbox_notify =
-- 'off'; it wakes its relay in-process after its commits); other writers
-- (tools, psql) notify. Default (unset): on.
CREATE OR REPLACE FUNCTION dispatch.outbox_wake()
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('dispatch.outbox_notify', true), '') <> 'off' THEN
    PERFORM pg_notify('dispatch_outbox', '');
  END IF;
END
$$;

-- Records one event (an outbox row and its outbox_pending row, the relay's
-- queue) and wakes the relay (outbox_wake). Returns the outbox row's id.
CREATE OR REPLACE FUNCTION dispatch.emit(p_type text, p_order_id uuid, p_driver_id uuid,
                                         p_actor text, p_data jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
BEGIN
  INSERT INTO dispatch.outbox (type, order_id, driver_id, actor, data)
  VALUES (p_type, p_order_id, p_driver_id, coalesce(p_actor, 'system'), p_data)
  RETURNING id INTO v_id;
  INSERT INTO dispatch.outbox_pending (id) VALUES (v_id);
  PERFORM dispatch.outbox_wake();
  RETURN v_id;
END
$$;

-- driver.updated with the driver's current object.
CREATE OR REPLACE FUNCTION dispatch.emit_driver(p_driver_id uuid, p_actor text)
RETURNS void LANGUAGE plpgsql AS $$
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

-- Starts an idempotent request. Returns NULL when the caller should go on (no
-- key, no user, or a new key), the stored response for a replay of the same
-- request, or raises conflict when the key was used for a different request.
-- Serialises requests with the same (user, key) on a transaction advisory lock
-- (two-key space, class 71446503), so a concurrent duplicate waits until the
-- first transaction ends and then sees its committed row.
CREATE OR REPLACE FUNCTION dispatch.idem_begin(p_actor jsonb, p_key text, p_req_hash text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_user text := p_actor ->> 'user_id';
  v_row dispatch.idempotency_keys;
  v_response jsonb;
BEGIN
  IF p_key IS NULL OR v_user IS NULL THEN
    RETURN NULL;
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

-- Records the response of a request started with idem_begin (no-op without
-- key or user). When p_event is given, the response is that outbox row's data
-- (identical by construction) and is not stored a second time.
CREATE OR REPLACE FUNCTION dispatch.idem_finish(p_actor jsonb, p_key text, p_req_hash text,
                                                p_response jsonb, p_event bigint DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
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

-- Deletes idempotency keys older than 24 hours; returns how many. Called
-- periodically by the server.
CREATE OR REPLACE FUNCTION dispatch.purge_idempotency_keys()
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_n bigint;
BEGIN
  DELETE FROM dispatch.idempotency_keys WHERE created_at < now() - interval '24 hours';
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
