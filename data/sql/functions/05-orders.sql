-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Orders: create, get, list, actions, events, tracking.
--
-- Visibility (dispatch.order_visible): staff all (a dispatcher scoped to teams
-- the orders of its teams' zones, 14-teams.sql); a customer its own orders; a
-- driver the orders assigned to it and those with a live offer to it. An order
-- the caller cannot see is not_found; an action the caller's role may never
-- take on a visible order is permission_denied; a transition the state machine
-- forbids is invalid_transition.

-- The public tracking token of order p_id: base64url (no padding, 46
-- characters) of the id's 16 bytes followed by 18 bytes (144 bits) drawn from
-- the strong random source (gen_random_uuid). Carrying the id lets
-- track_public find the order by primary key, so the token needs no index;
-- the id is not a secret (the public tracking object shows it).
CREATE OR REPLACE FUNCTION dispatch.new_tracking_token(p_id uuid)
RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT rtrim(translate(encode(
           uuid_send(p_id)
           || substring(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()))
                        FROM 1 FOR 18),
           'base64'), E'+/\n', '-_'), '=')
$$;

-- The coordinates of a required place object {"lat","lon",...} named p_field.
CREATE OR REPLACE FUNCTION dispatch.json_place(p_place jsonb, p_field text,
                                               OUT lat double precision, OUT lon double precision)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF jsonb_typeof(p_place) IS DISTINCT FROM 'object' THEN
    PERFORM dispatch.raise_error('invalid_argument', p_field || ' is required', p_field);
  END IF;
  lat := dispatch.json_num(p_place -> 'lat', p_field || '.lat');
  lon := dispatch.json_num(p_place -> 'lon', p_field || '.lon');
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

-- POST /orders (customer for itself, dispatcher, admin). p_body, the
-- normalised body the API validated (server/api/dsd-api-orders.c: shapes,
-- types and limits are checked there; only what needs the rows is here):
-- {"customer_id"?,"pickup":{"lat","lon","address"?},"dropoff":{...},
--  "items":[{"sku","name"?,"quantity","price_cents"?,"weight_kg"?,"volume_l"?}],
--  "notes"?,"priority","contact"?:{"name"?,"email"?,"phone"?},
--  "proof"?:{"pin","photo","signature"},"ready_at"?,"deliver_after"?,"deliver_before"?}.
-- A customer's order always gets the caller's customer_id (another one →
-- permission_denied on customer_id). An empty sku → invalid_argument. Tracked
-- SKUs are reserved (not enough → insufficient_inventory on
-- items[i].quantity, nothing created); an item without a name gets the
-- inventory's name. Weights and volumes are per unit: the order's load is
-- their total (functions/13-proof.sql). The times: functions/12-windows.sql
-- (pickup_at by the trigger orders_plan_pickup_insert). Emits order.created.
-- In two steps, so that a batch of orders (order_create_batch) inserts them
-- together: order_check, then orders_insert.
CREATE OR REPLACE FUNCTION dispatch.order_create(p_actor jsonb, p_idem_key text, p_req_hash text,
                                                 p_body jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  c record;
  v_json jsonb;
BEGIN
  SELECT * INTO c FROM dispatch.order_check(p_actor, p_idem_key, p_req_hash, p_body);
  IF c.o_replay IS NOT NULL THEN
    RETURN c.o_replay;
  END IF;
  SELECT i.data INTO v_json
  FROM dispatch.orders_insert(ARRAY[p_actor], ARRAY[p_idem_key], ARRAY[p_req_hash],
                              ARRAY[p_body], ARRAY[c.o_customer], ARRAY[c.o_zone],
                              ARRAY[c.o_names], ARRAY[c.o_reserved]) i;
  RETURN v_json;
END
$$;

-- What order_create checks and reserves before it inserts the order: the
-- replay of its Idempotency-Key (o_replay, when there is one: nothing else is
-- set), else the order's customer_id, its zone, the inventory's names of the
-- SKUs reserved ({"sku":"name"}) and the quantities reserved ({"sku":n}).
-- Per order: the idempotency check, one statement over the items, one UPDATE
-- per tracked SKU, the zone (zone_at and scope_has_zone are PL/pgSQL so that
-- their plans are kept).
DROP FUNCTION IF EXISTS dispatch.order_check(jsonb, text, text, jsonb);
CREATE FUNCTION dispatch.order_check(p_actor jsonb, p_idem_key text, p_req_hash text,
                                     p_body jsonb, OUT o_replay jsonb, OUT o_customer text,
                                     OUT o_zone uuid, OUT o_names jsonb, OUT o_reserved jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_items jsonb := coalesce(p_body -> 'items', '[]'::jsonb);
  v_name text;
  r record;
BEGIN
  IF jsonb_typeof(p_body) IS DISTINCT FROM 'object' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'the body must be a JSON object');
  END IF;

  o_replay := dispatch.idem_begin(p_actor, p_idem_key, p_req_hash);
  IF o_replay IS NOT NULL THEN
    RETURN;
  END IF;

  -- customer
  o_customer := p_body ->> 'customer_id';
  IF o_customer = '' THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'customer_id must not be empty', 'customer_id');
  END IF;
  IF v_role = 'customer' THEN
    IF p_actor ->> 'customer_id' IS NULL THEN
      PERFORM dispatch.raise_error('permission_denied', 'the caller has no customer account');
    END IF;
    IF o_customer IS NOT NULL AND o_customer <> p_actor ->> 'customer_id' THEN
      PERFORM dispatch.raise_error('permission_denied',
        'customers may only create orders for themselves', 'customer_id');
    END IF;
    o_customer := p_actor ->> 'customer_id';
  END IF;

  -- items: the empty sku first (its first index), then the tracked SKUs
  -- reserved in sku order (lock order), all or nothing
  o_names := '{}';
  o_reserved := '{}';
  IF jsonb_array_length(v_items) > 0 THEN
    FOR r IN
      SELECT t.sku, t.qty, t.first_idx
      FROM (SELECT coalesce(a.item ->> 'sku', '') AS sku,
                   sum((a.item ->> 'quantity')::bigint) AS qty, min(a.n) - 1 AS first_idx
            FROM jsonb_array_elements(v_items) WITH ORDINALITY AS a(item, n)
            GROUP BY 1) t
      WHERE t.sku = '' OR EXISTS (SELECT 1 FROM dispatch.inventory i WHERE i.sku = t.sku)
      ORDER BY t.sku <> '', t.sku
    LOOP
      IF r.sku = '' THEN
        PERFORM dispatch.raise_error('invalid_argument',
          format('items[%s].sku is required', r.first_idx),
          format('items[%s].sku', r.first_idx));
      END IF;
      UPDATE dispatch.inventory
      SET reserved = reserved + r.qty, updated_at = now()
      WHERE sku = r.sku AND quantity - reserved >= r.qty
      RETURNING name INTO v_name;
      IF FOUND THEN
        o_reserved := o_reserved || jsonb_build_object(r.sku, r.qty);
        IF v_name IS NOT NULL THEN
          o_names := o_names || jsonb_build_object(r.sku, v_name);
        END IF;
      ELSIF EXISTS (SELECT 1 FROM dispatch.inventory WHERE sku = r.sku) THEN
        PERFORM dispatch.raise_error('insufficient_inventory',
          format('not enough stock for sku %s', r.sku),
          format('items[%s].quantity', r.first_idx));
      END IF;
    END LOOP;
  END IF;

  -- a dispatcher scoped to teams creates orders in its teams' zones only
  o_zone := dispatch.zone_at((p_body #>> '{pickup,lat}')::double precision,
                             (p_body #>> '{pickup,lon}')::double precision);
  IF NOT dispatch.scope_has_zone(p_actor, o_zone) THEN
    PERFORM dispatch.raise_error('permission_denied',
      'the pickup is outside the zones of your teams', 'pickup');
  END IF;
END
$$;

-- Inserts orders that order_check passed, all in one statement (per
-- statement, PostgreSQL prepares the 22 checks of dispatch.orders again):
-- order i of the arrays (the arguments of order_check and what it returned)
-- with its order.created event and Idempotency-Key record, then the
-- reservations of those that have some. Returns (n, the order) for each i,
-- in no particular order; the events are numbered in the order of i.
CREATE OR REPLACE FUNCTION dispatch.orders_insert(p_actors jsonb[], p_keys text[],
                                                  p_hashes text[], p_bodies jsonb[],
                                                  p_customers text[], p_zones uuid[],
                                                  p_names jsonb[], p_reserved jsonb[])
RETURNS TABLE (n integer, data jsonb) LANGUAGE plpgsql
-- a custom plan would be made for each call (its arrays' lengths vary), and
-- planning parses the SQL functions it inlines again each time
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_ids uuid[];
BEGIN
  v_ids := ARRAY(SELECT dispatch.uuid_v7() FROM generate_series(1, cardinality(p_bodies)));
  RETURN QUERY
  WITH r AS (
    SELECT u.i::integer AS i, v_ids[u.i] AS id, u.actor, u.key, u.hash, u.body, u.customer,
           u.zone, u.names
    FROM unnest(p_actors, p_keys, p_hashes, p_bodies, p_customers, p_zones, p_names)
         WITH ORDINALITY AS u(actor, key, hash, body, customer, zone, names, i)
  ), o AS (
    INSERT INTO dispatch.orders AS x (id, customer_id, pickup_lat, pickup_lon, pickup_address,
                                      dropoff_lat, dropoff_lon, dropoff_address, items, notes,
                                      priority, contact, tracking_token, created_by, zone_id,
                                      ready_at, deliver_after, deliver_before, proof_pin,
                                      proof_photo, proof_signature, load_weight_kg,
                                      load_volume_l)
    SELECT r.id, r.customer,
           (r.body #>> '{pickup,lat}')::double precision,
           (r.body #>> '{pickup,lon}')::double precision, r.body #>> '{pickup,address}',
           (r.body #>> '{dropoff,lat}')::double precision,
           (r.body #>> '{dropoff,lon}')::double precision, r.body #>> '{dropoff,address}',
           it.items, r.body ->> 'notes', coalesce((r.body ->> 'priority')::smallint, 0),
           CASE WHEN jsonb_typeof(r.body -> 'contact') = 'object' THEN
             nullif(jsonb_strip_nulls(jsonb_build_object(
               'name', r.body #> '{contact,name}', 'email', r.body #> '{contact,email}',
               'phone', r.body #> '{contact,phone}')), '{}'::jsonb)
           END,
           dispatch.new_tracking_token(r.id), r.actor ->> 'user_id', r.zone,
           (r.body ->> 'ready_at')::timestamptz, (r.body ->> 'deliver_after')::timestamptz,
           (r.body ->> 'deliver_before')::timestamptz,
           CASE WHEN r.body #>> '{proof,pin}' = 'true' THEN dispatch.proof_new_pin() END,
           coalesce(r.body #>> '{proof,photo}', 'false') = 'true',
           coalesce(r.body #>> '{proof,signature}', 'false') = 'true',
           it.weight, it.volume
    FROM r,
         LATERAL (SELECT coalesce(jsonb_agg(jsonb_build_object(
                           'sku', a.item ->> 'sku',
                           'name', coalesce(a.item ->> 'name', r.names ->> (a.item ->> 'sku')),
                           'quantity', a.item -> 'quantity',
                           'price_cents', a.item -> 'price_cents')
                         || jsonb_strip_nulls(jsonb_build_object(
                              'weight_kg', a.item -> 'weight_kg',
                              'volume_l', a.item -> 'volume_l'))
                         ORDER BY a.n), '[]'::jsonb) AS items,
                         coalesce(sum((a.item ->> 'weight_kg')::double precision
                                      * (a.item ->> 'quantity')::double precision), 0) AS weight,
                         coalesce(sum((a.item ->> 'volume_l')::double precision
                                      * (a.item ->> 'quantity')::double precision), 0) AS volume
                  FROM jsonb_array_elements(coalesce(r.body -> 'items', '[]'::jsonb))
                       WITH ORDINALITY AS a(item, n)) it
    RETURNING x
  ), e AS (
    INSERT INTO dispatch.outbox (type, order_id, actor, data)
    SELECT 'order.created', r.id, dispatch.actor_label(r.actor), dispatch.order_json(o.x)
    FROM o JOIN r ON r.id = (o.x).id
    ORDER BY r.i
    RETURNING id, order_id, outbox.data
  ), p AS (
    INSERT INTO dispatch.outbox_pending (id) SELECT e.id FROM e
  ), k AS (
    INSERT INTO dispatch.idempotency_keys (user_id, key, request_hash, response_event)
    SELECT r.actor ->> 'user_id', r.key, coalesce(r.hash, ''), e.id
    FROM e JOIN r ON r.id = e.order_id
    WHERE r.key IS NOT NULL AND r.actor ->> 'user_id' IS NOT NULL
  )
  SELECT r.i, e.data FROM e JOIN r ON r.id = e.order_id;

  IF EXISTS (SELECT 1 FROM unnest(p_reserved) AS v(res) WHERE v.res <> '{}') THEN
    INSERT INTO dispatch.order_reservations (order_id, sku, quantity)
    SELECT v_ids[u.i], j.key, j.value::bigint
    FROM unnest(p_reserved) WITH ORDINALITY AS u(res, i), jsonb_each_text(u.res) j;
  END IF;
  PERFORM dispatch.outbox_wake();
END
$$;

-- POST /orders for several requests in one transaction: the intake's group
-- commit (server/api/dsd-order-intake.c). Request i is (p_actors[i],
-- p_keys[i], p_hashes[i], p_bodies[i]). Every lock an order may wait for is
-- taken first, in one order for all (the Idempotency-Key locks by their
-- number, then the inventory rows of the SKUs named, by sku), so that two
-- batches never deadlock. Each request is checked (order_check) in a
-- subtransaction of its own; those that pass are inserted together
-- (orders_insert); a request whose Idempotency-Key an earlier one of the batch
-- has is run after them by order_create (it replays or conflicts). One row
-- per request, in their order: the order's JSON text (or the replay), or the
-- error it raised (err_state, the SQLSTATE, with the message, detail and hint
-- of dispatch.raise_error), nothing of it kept. When the insert fails, the
-- whole batch does (the server then sends each request alone).
CREATE OR REPLACE FUNCTION dispatch.order_create_batch(p_actors jsonb[], p_keys text[],
                                                       p_hashes text[], p_bodies jsonb[])
RETURNS TABLE (result text, err_state text, err_message text, err_detail text,
               err_hint text)
LANGUAGE plpgsql
-- (as orders_insert: its lock statements were planned again at every call)
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_count integer := coalesce(cardinality(p_bodies), 0);
  v_results text[] := array_fill(NULL::text, ARRAY[v_count]);
  v_states text[] := v_results;
  v_messages text[] := v_results;
  v_details text[] := v_results;
  v_hints text[] := v_results;
  v_state text;
  v_message text;
  v_detail text;
  v_hint text;
  v_keys text[] := '{}';
  v_later integer[] := '{}';
  v_ok integer[] := '{}';
  v_customers text[] := '{}';
  v_zones uuid[] := '{}';
  v_names jsonb[] := '{}';
  v_reserved jsonb[] := '{}';
  v_user_key text;
  c record;
  r record;
  v_n integer;
BEGIN
  PERFORM pg_advisory_xact_lock(71446503, l.h)
  FROM (SELECT DISTINCT hashtext((u.a ->> 'user_id') || E'\n' || u.k) AS h
        FROM unnest(p_actors, p_keys) AS u(a, k)
        WHERE u.k IS NOT NULL AND u.a ->> 'user_id' IS NOT NULL
        ORDER BY 1) l;
  PERFORM 1 FROM dispatch.inventory i
  WHERE i.sku = ANY (ARRAY(
    SELECT it ->> 'sku'
    FROM unnest(p_bodies) AS b(body),
         jsonb_array_elements(CASE WHEN jsonb_typeof(b.body -> 'items') = 'array'
                                   THEN b.body -> 'items' ELSE '[]'::jsonb END) AS it))
  ORDER BY i.sku
  FOR UPDATE OF i;

  FOR n IN 1 .. v_count LOOP
    v_user_key := (p_actors[n] ->> 'user_id') || E'\n' || p_keys[n];
    IF v_user_key = ANY (v_keys) THEN
      v_later := array_append(v_later, n);
      CONTINUE;
    END IF;
    BEGIN
      SELECT * INTO c FROM dispatch.order_check(p_actors[n], p_keys[n], p_hashes[n],
                                                p_bodies[n]);
      IF c.o_replay IS NOT NULL THEN
        v_results[n] := c.o_replay::text;
      ELSE
        v_ok := array_append(v_ok, n);
        v_customers := array_append(v_customers, c.o_customer);
        v_zones := array_append(v_zones, c.o_zone);
        v_names := array_append(v_names, c.o_names);
        v_reserved := array_append(v_reserved, c.o_reserved);
        IF v_user_key IS NOT NULL THEN
          v_keys := array_append(v_keys, v_user_key);
        END IF;
      END IF;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                              v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
      v_states[n] := v_state;
      v_messages[n] := v_message;
      v_details[n] := v_detail;
      v_hints[n] := v_hint;
    END;
  END LOOP;

  IF cardinality(v_ok) > 0 THEN
    FOR r IN
      SELECT v_ok[o.n] AS req, o.data
      FROM dispatch.orders_insert(
             ARRAY(SELECT p_actors[j] FROM unnest(v_ok) AS j),
             ARRAY(SELECT p_keys[j] FROM unnest(v_ok) AS j),
             ARRAY(SELECT p_hashes[j] FROM unnest(v_ok) AS j),
             ARRAY(SELECT p_bodies[j] FROM unnest(v_ok) AS j),
             v_customers, v_zones, v_names, v_reserved) o
    LOOP
      v_results[r.req] := r.data::text;
    END LOOP;
  END IF;

  FOREACH v_n IN ARRAY v_later LOOP
    BEGIN
      v_results[v_n] := dispatch.order_create(p_actors[v_n], p_keys[v_n], p_hashes[v_n],
                                              p_bodies[v_n])::text;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                              v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
      v_states[v_n] := v_state;
      v_messages[v_n] := v_message;
      v_details[v_n] := v_detail;
      v_hints[v_n] := v_hint;
    END;
  END LOOP;

  FOR n IN 1 .. v_count LOOP
    result := v_results[n];
    err_state := v_states[n];
    err_message := v_messages[n];
    err_detail := v_details[n];
    err_hint := v_hints[n];
    RETURN NEXT;
  END LOOP;
END
$$;

-- The order p_id as p_actor may see it; not_found when it does not exist or
-- is not theirs to see (a customer's foreign order, a driver's unassigned one).
CREATE OR REPLACE FUNCTION dispatch.visible_order(p_actor jsonb, p_id text)
RETURNS dispatch.orders LANGUAGE plpgsql STABLE AS $$
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

-- GET /orders/{id}: not_found for an order the caller cannot see.
CREATE OR REPLACE FUNCTION dispatch.order_get(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT dispatch.order_for(p_actor, dispatch.order_json(dispatch.visible_order(p_actor, p_id)))
$$;

-- GET /orders: {"orders":[...],"next"}, newest first (created_at, id).
-- p_status: one status or several comma-separated ("pending,assigned"),
-- validated by the caller like the other filters' shapes. A customer sees only
-- its own orders, a driver only those assigned to it (a filter naming someone
-- else gives an empty page). A driver_id that is no id → invalid_argument.
-- p_closed_since: only orders finished (closed_at) at or after it. p_query:
-- only orders whose id, customer_id, addresses, notes or contact name, phone
-- or e-mail contain it, case-insensitively (taken literally: % and _ are no
-- wildcards). Cursor {"k":"orders","t":created_at,"i":id}.
DROP FUNCTION IF EXISTS dispatch.order_list(jsonb, text, text, text, integer, text);
CREATE OR REPLACE FUNCTION dispatch.order_list(p_actor jsonb, p_status text, p_customer_id text,
                                               p_driver_id text, p_limit integer, p_cursor text,
                                               p_closed_since timestamptz, p_query text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_role text := dispatch.actor_role(p_actor);
  v_statuses text[];
  v_customer text := p_customer_id;
  v_driver uuid;
  v_after dispatch.page_key := dispatch.page_after(p_cursor, 'orders');
  v_zones uuid[] := dispatch.scope_zones(p_actor);
  v_sql text;
  v_rows dispatch.page_row[];
BEGIN
  IF p_status IS NOT NULL THEN
    v_statuses := string_to_array(p_status, ',');
  END IF;
  IF p_driver_id IS NOT NULL THEN
    v_driver := dispatch.to_uuid(p_driver_id);
    IF v_driver IS NULL THEN
      PERFORM dispatch.raise_error('invalid_argument', 'driver_id must be a driver id',
                                   'driver_id');
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
  v_sql := 'SELECT ARRAY(SELECT ROW(o.created_at, o.id,'
           ' dispatch.order_for($9, dispatch.order_json(o)))::dispatch.page_row'
           ' FROM dispatch.orders o WHERE true';
  IF v_statuses IS NOT NULL THEN
    v_sql := v_sql || ' AND o.status = ANY ($1)';
  END IF;
  IF v_customer IS NOT NULL THEN
    v_sql := v_sql || ' AND o.customer_id = $2';
  END IF;
  IF v_driver IS NOT NULL THEN
    v_sql := v_sql || ' AND o.driver_id = $3';
  END IF;
  IF v_after.t IS NOT NULL THEN
    v_sql := v_sql || ' AND (o.created_at, o.id) < ($4, $5)';
  END IF;
  IF p_closed_since IS NOT NULL THEN
    v_sql := v_sql || ' AND o.closed_at >= $7';
  END IF;
  IF p_query IS NOT NULL THEN
    v_sql := v_sql || ' AND concat_ws(E''\n'', o.id::text, o.customer_id, o.pickup_address,'
                      ' o.dropoff_address, o.notes, o.contact ->> ''name'','
                      ' o.contact ->> ''phone'', o.contact ->> ''email'') ILIKE $8';
  END IF;
  IF v_zones IS NOT NULL THEN
    v_sql := v_sql || ' AND o.zone_id = ANY ($10)';
  END IF;
  v_sql := v_sql || ' ORDER BY o.created_at DESC, o.id DESC LIMIT $6)';

  EXECUTE v_sql INTO v_rows
    USING v_statuses, v_customer, v_driver, v_after.t, v_after.i, p_limit + 1, p_closed_since,
          '%' || replace(replace(replace(p_query, '\', '\\'), '%', '\%'), '_', '\_') || '%',
          p_actor, v_zones;
  RETURN dispatch.page_json('orders', p_limit, v_rows);
END
$$;

-- PATCH /orders/{id} (staff): changes what may still change before pickup.
-- p_body, validated by the caller: any of {"pickup":{"lat","lon","address"?},
-- "dropoff":{...},"notes":text|null,"priority":0..9,"contact":{...}|null,
-- "ready_at","deliver_after","deliver_before": RFC 3339|null} (null clears
-- notes, contact and a time). Only a pending or assigned order → else
-- invalid_transition. The times merged with the stored ones must keep the
-- window in order and the pickup ready before it ends (else invalid_argument);
-- a changed time lets order.at_risk be raised again for the new window, and
-- orders_plan_pickup plans the pickup again. A new pickup or dropoff clears the ETA (the
-- engine computes it again); a new pickup moves the order to its zone (a
-- dispatcher scoped to teams: only within its teams' zones, else
-- permission_denied on pickup). Emits order.updated when something changed;
-- returns the order.
CREATE OR REPLACE FUNCTION dispatch.order_patch(p_actor jsonb, p_idem_key text, p_req_hash text,
                                                p_id text, p_body jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_label text := dispatch.actor_label(p_actor);
  v_replay jsonb;
  v_o dispatch.orders;
  v_new dispatch.orders;
  v_json jsonb;
  v_evt bigint;
  v_c jsonb;
BEGIN
  v_replay := dispatch.idem_begin(p_actor, p_idem_key, p_req_hash);
  IF v_replay IS NOT NULL THEN
    RETURN v_replay;
  END IF;

  SELECT * INTO v_o FROM dispatch.orders WHERE id = dispatch.to_uuid(p_id) FOR UPDATE;
  IF NOT FOUND OR NOT dispatch.order_visible(p_actor, v_o) THEN
    PERFORM dispatch.raise_error('not_found', 'no such order');
  END IF;
  IF v_o.status NOT IN ('pending', 'assigned') THEN
    PERFORM dispatch.raise_error('invalid_transition',
      format('an order that is %s can no longer be changed', v_o.status));
  END IF;

  v_new := v_o;
  IF p_body ? 'pickup' THEN
    SELECT lat, lon INTO v_new.pickup_lat, v_new.pickup_lon
    FROM dispatch.json_place(p_body -> 'pickup', 'pickup');
    v_new.pickup_address := dispatch.json_text(p_body -> 'pickup' -> 'address', 'pickup.address');
    v_new.zone_id := dispatch.zone_at(v_new.pickup_lat, v_new.pickup_lon);
    IF NOT dispatch.scope_has_zone(p_actor, v_new.zone_id) THEN
      PERFORM dispatch.raise_error('permission_denied',
        'the pickup is outside the zones of your teams', 'pickup');
    END IF;
  END IF;
  IF p_body ? 'dropoff' THEN
    SELECT lat, lon INTO v_new.dropoff_lat, v_new.dropoff_lon
    FROM dispatch.json_place(p_body -> 'dropoff', 'dropoff');
    v_new.dropoff_address := dispatch.json_text(p_body -> 'dropoff' -> 'address',
                                                 'dropoff.address');
  END IF;
  IF p_body ? 'notes' THEN
    v_new.notes := dispatch.json_text(p_body -> 'notes', 'notes');
  END IF;
  IF p_body ? 'priority' THEN
    v_new.priority := dispatch.json_int(p_body -> 'priority', 'priority');
    IF v_new.priority IS NULL THEN
      PERFORM dispatch.raise_error('invalid_argument', 'priority must be 0..9', 'priority');
    END IF;
  END IF;
  IF p_body ? 'ready_at' THEN
    v_new.ready_at := (dispatch.json_text(p_body -> 'ready_at', 'ready_at'))::timestamptz;
  END IF;
  IF p_body ? 'deliver_after' THEN
    v_new.deliver_after :=
      (dispatch.json_text(p_body -> 'deliver_after', 'deliver_after'))::timestamptz;
  END IF;
  IF p_body ? 'deliver_before' THEN
    v_new.deliver_before :=
      (dispatch.json_text(p_body -> 'deliver_before', 'deliver_before'))::timestamptz;
  END IF;
  IF v_new.deliver_after >= v_new.deliver_before THEN
    PERFORM dispatch.raise_error('invalid_argument',
      'deliver_after must be before deliver_before', 'deliver_after');
  END IF;
  IF v_new.ready_at >= v_new.deliver_before THEN
    PERFORM dispatch.raise_error('invalid_argument', 'ready_at must be before deliver_before',
                                 'ready_at');
  END IF;
  IF p_body ? 'contact' THEN
    v_c := p_body -> 'contact';
    v_new.contact := NULL;
    IF jsonb_typeof(v_c) = 'object' THEN
      v_new.contact := nullif(jsonb_strip_nulls(jsonb_build_object(
        'name', dispatch.json_text(v_c -> 'name', 'contact.name'),
        'email', dispatch.json_text(v_c -> 'email', 'contact.email'),
        'phone', dispatch.json_text(v_c -> 'phone', 'contact.phone'))), '{}'::jsonb);
    END IF;
  END IF;

  IF (v_new.pickup_lat, v_new.pickup_lon, v_new.pickup_address, v_new.dropoff_lat,
      v_new.dropoff_lon, v_new.dropoff_address, v_new.notes, v_new.priority, v_new.contact,
      v_new.ready_at, v_new.deliver_after, v_new.deliver_before)
     IS DISTINCT FROM
     (v_o.pickup_lat, v_o.pickup_lon, v_o.pickup_address, v_o.dropoff_lat,
      v_o.dropoff_lon, v_o.dropoff_address, v_o.notes, v_o.priority, v_o.contact,
      v_o.ready_at, v_o.deliver_after, v_o.deliver_before) THEN
    UPDATE dispatch.orders
    SET pickup_lat = v_new.pickup_lat, pickup_lon = v_new.pickup_lon,
        pickup_address = v_new.pickup_address,
        dropoff_lat = v_new.dropoff_lat, dropoff_lon = v_new.dropoff_lon,
        dropoff_address = v_new.dropoff_address,
        notes = v_new.notes, priority = v_new.priority, contact = v_new.contact,
        zone_id = v_new.zone_id,
        ready_at = v_new.ready_at, deliver_after = v_new.deliver_after,
        deliver_before = v_new.deliver_before,
        at_risk_alerted_at = CASE WHEN (v_new.ready_at, v_new.deliver_after,
                                        v_new.deliver_before)
                                       IS DISTINCT FROM (v_o.ready_at, v_o.deliver_after,
                                                         v_o.deliver_before)
                                  THEN NULL ELSE at_risk_alerted_at END,
        eta_seconds = CASE WHEN (v_new.pickup_lat, v_new.pickup_lon, v_new.dropoff_lat,
                                 v_new.dropoff_lon)
                                IS DISTINCT FROM (v_o.pickup_lat, v_o.pickup_lon,
                                                  v_o.dropoff_lat, v_o.dropoff_lon)
                           THEN NULL ELSE eta_seconds END,
        updated_at = now()
    WHERE id = v_o.id
    RETURNING * INTO v_o;
    v_json := dispatch.order_json(v_o);
    v_evt := dispatch.emit('order.updated', v_o.id, v_o.driver_id, v_label, v_json);
  ELSE
    v_json := dispatch.order_json(v_o);
  END IF;

  PERFORM dispatch.idem_finish(p_actor, p_idem_key, p_req_hash, v_json, v_evt);
  RETURN v_json;
END
$$;

-- The driver that an assign or exclude names (p_args.driver_id: required;
-- NULL when it is no uuid, which no driver has), on an order that is still
-- dispatched (pending or assigned): otherwise invalid_transition, the
-- message ending in p_refusal.
CREATE OR REPLACE FUNCTION dispatch.action_driver(p_args jsonb, p_status text, p_refusal text)
RETURNS uuid LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_target uuid;
BEGIN
  IF p_args -> 'driver_id' IS NULL OR jsonb_typeof(p_args -> 'driver_id') = 'null' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'driver_id is required', 'driver_id');
  END IF;
  v_target := dispatch.to_uuid(dispatch.json_text(p_args -> 'driver_id', 'driver_id'));
  IF p_status NOT IN ('pending', 'assigned') THEN
    PERFORM dispatch.raise_error('invalid_transition',
      format('an order that is %s %s', p_status, p_refusal));
  END IF;
  RETURN v_target;
END
$$;

-- POST /orders/{id}/{action}; returns the updated order.
--   assign   {"driver_id"}  staff. pending|assigned → assigned (reassign allowed);
--            marks the order manual; offline driver → conflict (driver_id);
--            unknown driver → invalid_argument (driver_id). Capacity, vehicle
--            limits and location are not checked: going beyond them adds
--            "warnings" (dispatch.assign_warnings) to the answer, not the event. Emits order.assigned, order.updated, driver.updated
--            (new driver, and the previous one on reassignment). Assigning to the
--            current driver only marks it manual (order.updated if that changed).
--   unassign {}             staff. assigned → pending, manual cleared, the driver
--            excluded from automation for this order. order.updated, driver.updated.
--   accept   {}             the offered driver, live offer (else conflict): pending →
--            assigned. order.assigned, order.updated, driver.updated.
--   decline  {}             the offered driver, live offer (else conflict): the offer
--            is withdrawn, the driver excluded. order.updated.
--   status   {"status":"picked_up"|"delivered"|"failed","reason"?,"reason_code"?}
--            the assigned driver or staff. assigned → picked_up → delivered;
--            assigned|picked_up → failed (failure_code: reason_code, default
--            "other"). Delivered needs its proof (dispatch.proof_require: conflict
--            on field proof). Delivery consumes reserved stock, failure releases it.
--            order.updated (+ driver.updated when the order leaves the driver).
--   cancel   {"reason"?}    the owner customer or staff. pending|assigned →
--            cancelled; releases stock. order.updated (+ driver.updated).
--   hold     {"hold":bool}  staff. pending|assigned: automation leaves a held
--            order alone (a live offer is withdrawn, the driver not excluded);
--            people still assign it. order.updated when the value changes.
--   exclude  {"driver_id"}  staff. pending|assigned: automation never gives the
--            order to that driver ("not this driver"); manual assignment still
--            may. Returns the order unchanged; no event.
-- Who may call which action is the router's role mask
-- (server/api/dsd-api-orders.c); here only what needs the row: visibility,
-- the assigned driver for status, the live offer for accept/decline (any
-- existing order without a live offer to that driver → conflict).
CREATE OR REPLACE FUNCTION dispatch.order_action(p_actor jsonb, p_idem_key text, p_req_hash text,
                                                 p_id text, p_action text, p_args jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
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
  v_warnings jsonb;
BEGIN
  IF p_action IS NULL
     OR p_action NOT IN ('assign', 'unassign', 'accept', 'decline', 'status', 'cancel', 'hold',
                         'exclude') THEN
    PERFORM dispatch.raise_error('not_found', 'no such action');
  END IF;
  IF jsonb_typeof(v_args) <> 'object' THEN
    PERFORM dispatch.raise_error('invalid_argument', 'the body must be a JSON object');
  END IF;

  v_replay := dispatch.idem_begin(p_actor, p_idem_key, p_req_hash);
  IF v_replay IS NOT NULL THEN
    RETURN dispatch.order_for(p_actor, v_replay);
  END IF;

  SELECT * INTO v_o FROM dispatch.orders WHERE id = dispatch.to_uuid(p_id) FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'no such order');
  END IF;
  v_prev := v_o.driver_id;

  -- who may
  IF p_action IN ('accept', 'decline') THEN
    IF v_me IS NULL OR v_o.status <> 'pending' OR v_o.offer_driver_id IS DISTINCT FROM v_me
       OR NOT (v_o.offer_expires_at > now()) THEN
      PERFORM dispatch.raise_error('conflict', 'there is no live offer of this order to you');
    END IF;
  ELSE
    IF NOT dispatch.order_visible(p_actor, v_o) THEN
      PERFORM dispatch.raise_error('not_found', 'no such order');
    END IF;
    IF p_action = 'status'
       AND NOT coalesce(dispatch.is_staff(v_role)
                        OR (v_role = 'driver' AND v_o.driver_id = v_me), false)
    THEN
      PERFORM dispatch.raise_error('permission_denied',
        'only the assigned driver and staff may change the status');
    END IF;
  END IF;

  CASE p_action
  WHEN 'assign' THEN
    v_target := dispatch.action_driver(v_args, v_o.status, 'cannot be assigned');
    -- the driver row: FOR SHARE, so that going offline waits for us (or we see it)
    SELECT online INTO v_online FROM dispatch.drivers WHERE id = v_target FOR SHARE;
    IF NOT FOUND OR NOT dispatch.scope_has_driver(p_actor, v_target) THEN
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
    v_warnings := dispatch.assign_warnings(v_target);

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
    v_reason := dispatch.json_text(v_args -> 'reason', 'reason');
    IF NOT ((v_status = 'picked_up' AND v_o.status = 'assigned')
            OR (v_status = 'delivered' AND v_o.status = 'picked_up')
            OR (v_status = 'failed' AND v_o.status IN ('assigned', 'picked_up'))) THEN
      PERFORM dispatch.raise_error('invalid_transition',
        format('an order that is %s cannot become %s', v_o.status, v_status));
    END IF;
    IF v_status = 'delivered' THEN
      PERFORM dispatch.proof_require(v_o);
    END IF;
    UPDATE dispatch.orders
    SET status = v_status,
        status_reason = CASE WHEN v_status = 'failed' THEN v_reason ELSE status_reason END,
        failure_code = CASE WHEN v_status = 'failed' THEN dispatch.proof_failure_code(v_args) END,
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
    v_reason := dispatch.json_text(v_args -> 'reason', 'reason');
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

  WHEN 'hold' THEN
    IF jsonb_typeof(v_args -> 'hold') IS DISTINCT FROM 'boolean' THEN
      PERFORM dispatch.raise_error('invalid_argument', 'hold must be true or false', 'hold');
    END IF;
    IF v_o.status NOT IN ('pending', 'assigned') THEN
      PERFORM dispatch.raise_error('invalid_transition',
        format('an order that is %s cannot be held', v_o.status));
    END IF;
    IF v_o.held IS DISTINCT FROM (v_args ->> 'hold')::boolean THEN
      IF (v_args ->> 'hold')::boolean AND v_o.offer_driver_id IS NOT NULL THEN
        v_o := dispatch.offer_withdraw(v_o, NULL, v_label);
      END IF;
      UPDATE dispatch.orders
      SET held = (v_args ->> 'hold')::boolean, next_attempt_at = now(), updated_at = now()
      WHERE id = v_o.id
      RETURNING * INTO v_o;
      v_json := dispatch.order_json(v_o);
      v_evt := dispatch.emit('order.updated', v_o.id, v_o.driver_id, v_label, v_json);
    END IF;

  WHEN 'exclude' THEN
    v_target := dispatch.action_driver(v_args, v_o.status, 'is no longer dispatched');
    IF NOT EXISTS (SELECT 1 FROM dispatch.drivers WHERE id = v_target) THEN
      PERFORM dispatch.raise_error('invalid_argument', 'no such driver', 'driver_id');
    END IF;
    INSERT INTO dispatch.order_exclusions (order_id, driver_id, reason)
    VALUES (v_o.id, v_target, 'dispatcher')
    ON CONFLICT (order_id, driver_id) DO UPDATE SET reason = 'dispatcher', created_at = now();
  END CASE;

  -- v_json is the data of the last order event (v_evt), or NULL after a no-op
  IF v_json IS NULL THEN
    v_json := dispatch.order_json(v_o);
    v_evt := NULL;
  END IF;
  -- a person's assignment beyond the driver's capacity or vehicle limits
  IF v_warnings IS NOT NULL THEN
    v_json := v_json || jsonb_build_object('warnings', v_warnings);
    v_evt := NULL;
  END IF;
  PERFORM dispatch.idem_finish(p_actor, p_idem_key, p_req_hash, v_json, v_evt);
  RETURN dispatch.order_for(p_actor, v_json);
END
$$;

-- GET /orders/{id}/events: {"events":[{"id","seq","type","occurred_at","actor","data"}]}
-- oldest first (outbox id order; seq is null until the relay has numbered it).
-- Same visibility as order_get.
CREATE OR REPLACE FUNCTION dispatch.order_events(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
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

-- GET /orders/{id}/tracking: the tracking object; same visibility as order_get.
CREATE OR REPLACE FUNCTION dispatch.order_tracking(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT dispatch.tracking_json(dispatch.visible_order(p_actor, p_id))
$$;

-- GET /track/{token} (no auth): the public tracking object; unknown → NULL
-- (404 from the caller; not raised, so that anyone's guesses leave no ERROR in
-- the database's log).
CREATE OR REPLACE FUNCTION dispatch.track_public(p_token text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
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
    RETURN NULL;
  END IF;
  -- the customer's delivery PIN (functions/13-proof.sql) while it is wanted
  RETURN dispatch.public_tracking_json(v_o)
         || CASE WHEN v_o.proof_pin IS NOT NULL AND v_o.proof_pin_verified_at IS NULL
                      AND v_o.status IN ('pending', 'assigned', 'picked_up')
                 THEN jsonb_build_object('delivery_pin', v_o.proof_pin) ELSE '{}'::jsonb END;
END
$$;

-- order_counts(): {"pending":N,"assigned":N,"picked_up":N,"delivered":N,
-- "cancelled":N,"failed":N} (for /metrics).
CREATE OR REPLACE FUNCTION dispatch.order_counts()
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_object_agg(s.status, coalesce(c.n, 0))
  FROM unnest(ARRAY['pending', 'assigned', 'picked_up', 'delivered', 'cancelled', 'failed'])
       AS s(status)
  LEFT JOIN (SELECT o.status, count(*) AS n FROM dispatch.orders o GROUP BY o.status) c
    ON c.status = s.status
$$;
