-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- The assignment engine's side of the database (server/dispatch/): automatic
-- offers and assignments re-checked under lock, expiry of offers, the
-- "unassignable" alert, the engine's round, and pausing a driver from
-- automatic dispatch (see migration 0030-dispatch-engine.sql for the model).

-- Back to pending (unassign): the wait starts again, and so does the
-- once-per-wait "unassignable" alert.
CREATE OR REPLACE FUNCTION dispatch.orders_back_to_pending()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.pending_since := now();
  NEW.unassignable_alerted_at := NULL;
  RETURN NEW;
END
$$;

-- Withdraws the offer of order p_o (locked by the caller, offer present):
-- the driver is excluded from this order with p_reason ('declined',
-- 'expired') or, with p_reason NULL, not excluded (the driver went offline or
-- was paused). Emits order.updated; returns the updated row.
CREATE OR REPLACE FUNCTION dispatch.offer_withdraw(p_o dispatch.orders, p_reason text, p_label text)
RETURNS dispatch.orders LANGUAGE plpgsql AS $$
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

-- Gives order p_order_id to driver p_driver_id on behalf of the engine, if
-- that is still right once both rows are locked: the order is pending, has no
-- live offer and does not exclude the driver; the driver exists, is online,
-- not paused from auto-dispatch and holds fewer orders than its capacity
-- (assigned and picked up orders plus live offers of other orders). An offer
-- that expired but was not swept yet is withdrawn first (its driver excluded).
--
-- p_offer_timeout_s > 0: an offer (the order stays pending with "offer");
-- emits order.offer and order.updated. 0: an assignment; emits
-- order.assigned, order.updated and driver.updated. Either way
-- assignment_attempts grows by one, and the offer / assigned event's data is
-- the order with an extra member "assignment" = p_explanation (why this
-- driver: see docs/architecture.md, "Assignment engine").
--
-- Location age and distance are not checked here: the engine's live fleet
-- knows the positions better than the rows it writes in batches.
--
-- Returns {"applied":true,"order":{…}} or {"applied":false,"reason":R,"order":{…}|null},
-- R one of no_order, not_pending, held, offered, excluded, no_driver, offline,
-- paused, full, over_load (weight or volume beyond the vehicle's limits).
-- Nothing else is raised for a stale decision.
CREATE OR REPLACE FUNCTION dispatch.auto_assign(p_order_id text, p_driver_id text,
                                                p_explanation jsonb,
                                                p_offer_timeout_s integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_o dispatch.orders;
  v_d dispatch.drivers;
  v_z dispatch.zones;
  v_timeout integer;
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

  SELECT * INTO v_z FROM dispatch.zones WHERE id = v_o.zone_id;
  v_timeout := coalesce(v_z.offer_timeout_s, p_offer_timeout_s);

  IF v_o.status <> 'pending' THEN
    v_reason := 'not_pending';
  ELSIF v_o.held THEN
    v_reason := 'held';
  ELSIF NOT coalesce(v_z.auto_dispatch, true) THEN
    v_reason := 'zone_manual';
  ELSIF v_o.offer_driver_id IS NOT NULL THEN
    v_reason := 'offered';
  ELSIF EXISTS (SELECT 1 FROM dispatch.order_exclusions x
                WHERE x.order_id = v_o.id AND x.driver_id = dispatch.to_uuid(p_driver_id))
        OR NOT coalesce(dispatch.to_uuid(p_driver_id)
                          = ANY (dispatch.zone_allowed_drivers(v_o.zone_id)), true) THEN
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
      ELSIF NOT dispatch.load_fits(v_d, v_o) THEN
        v_reason := 'over_load';   -- vehicle limits (functions/13-proof.sql)
      END IF;
    END IF;
  END IF;

  IF v_reason IS NOT NULL THEN
    RETURN jsonb_build_object('applied', false, 'reason', v_reason,
                              'order', dispatch.order_json(v_o));
  END IF;

  IF coalesce(v_timeout, 0) > 0 THEN
    UPDATE dispatch.orders
    SET offer_driver_id = v_d.id,
        offer_expires_at = now() + make_interval(secs => v_timeout),
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

-- Withdraws every offer that has expired (excluding its driver from that
-- order: the engine moves on to the next candidate). Rows another
-- transaction holds are left for the next sweep. Returns how many.
CREATE OR REPLACE FUNCTION dispatch.expire_offers()
RETURNS integer LANGUAGE plpgsql AS $$
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

-- Raises order.unassignable (data: the order) once for each pending order
-- without a live offer that has waited at least p_after_s seconds since it
-- became pending, or since its planned pickup (pickup_at) when that is later
-- (p_after_s <= 0: never). The alert is raised again only
-- after the order has been assigned and has become pending once more.
-- Returns how many alerts were raised.
CREATE OR REPLACE FUNCTION dispatch.alert_unassignable(p_after_s integer)
RETURNS integer LANGUAGE plpgsql AS $$
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
      AND greatest(pending_since, pickup_at) <= now() - make_interval(secs => p_after_s)
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

-- One round of the engine's housekeeping and its view of the work: expires
-- offers, raises due unassignable alerts (p_alert_after_s, see
-- alert_unassignable) and at-risk alerts (p_at_risk_margin_s, see
-- alert_at_risk), then returns the pending orders, longest waiting
-- first, at most p_limit (NULL → 20000): rows (seq, id, pickup_lat,
-- pickup_lon, priority, pending_since_us, offer_driver_id, offer_expires_us,
-- excluded, pickup_at_us, max_pickup_m, allowed). seq is the last event seq
-- given out: every event with seq <= seq is reflected in the rows (one
-- statement, one snapshot); it is on every
-- row, and when nothing is pending there is one row with only seq. Times are
-- Unix microseconds; offer_* are NULL without a live offer; excluded is the
-- comma-separated ids of the drivers automation must not give the order to
-- (NULL when none); pickup_at_us is the planned pickup (NULL: as soon as possible);
-- max_pickup_m the order's zone's maximum pickup distance (NULL: the server's);
-- allowed the comma-separated ids of the only drivers automation may use (NULL:
-- any; dispatch.zone_allowed_drivers). Orders of zones with automation off are
-- not returned. (The result's columns changed in 0.2: the old function goes first.)
DROP FUNCTION IF EXISTS dispatch.engine_round(integer, integer);
CREATE OR REPLACE FUNCTION dispatch.engine_round(p_alert_after_s integer, p_limit integer,
                                                 p_at_risk_margin_s integer)
RETURNS TABLE (seq bigint, id text, pickup_lat double precision,
               pickup_lon double precision, priority integer, pending_since_us bigint,
               offer_driver_id text, offer_expires_us bigint, excluded text,
               pickup_at_us bigint, max_pickup_m double precision, allowed text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  PERFORM dispatch.expire_offers();
  PERFORM dispatch.alert_unassignable(p_alert_after_s);
  PERFORM dispatch.alert_at_risk(p_at_risk_margin_s);
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
            WHERE x.order_id = o.id) AS excluded,
           (extract(epoch FROM o.pickup_at) * 1000000)::bigint AS pickup_at_us,
           z.max_pickup_km * 1000 AS max_pickup_m,
           -- (not called for unzoned orders: the backlog may hold 100,000)
           CASE WHEN o.zone_id IS NOT NULL
                THEN array_to_string(dispatch.zone_allowed_drivers(o.zone_id), ',') END
             AS allowed
    FROM dispatch.orders o
    LEFT JOIN dispatch.zones z ON z.id = o.zone_id
    WHERE o.status = 'pending' AND NOT o.held AND coalesce(z.auto_dispatch, true)
    ORDER BY coalesce(o.pending_since, o.created_at), o.id
    LIMIT least(greatest(coalesce(p_limit, 20000), 1), 100000)
  )
  SELECT s.last_seq, p.id, p.pickup_lat, p.pickup_lon, p.priority, p.pending_since_us,
         p.offer_driver_id, p.offer_expires_us, p.excluded, p.pickup_at_us, p.max_pickup_m,
         p.allowed
  FROM s LEFT JOIN p ON true
  ORDER BY p.pending_since_us, p.id;
END
$$;

-- POST /drivers/{id}/auto-dispatch (dispatcher, admin): p_auto false pauses
-- the driver from automatic offers and assignments (manual assignment still
-- works), true resumes. Pausing withdraws the driver's live offers without
-- excluding the driver from those orders (order.updated each; the engine
-- re-dispatches them). Emits driver.updated when the value changes. Returns
-- the driver.
CREATE OR REPLACE FUNCTION dispatch.driver_set_auto_dispatch(p_actor jsonb, p_id text,
                                                             p_auto boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_label text := dispatch.actor_label(p_actor);
  v_id uuid := dispatch.driver_access(p_actor, p_id, 'pause a driver');
  v_was boolean;
  v_o dispatch.orders;
  v_d dispatch.drivers;
BEGIN
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
