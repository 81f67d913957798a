-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Proof of delivery (data/sql/0150-proof.sql): an order may require a PIN
-- (4 digits the customer sees on the tracking page and in e-mail, entered by
-- the driver, 5 attempts), a photo and a signature (JPEG or PNG, sniffed and
-- size-checked by the C side, dispatch-image.h). "delivered" is refused
-- (conflict on field proof) until every requirement is met
-- (dispatch.proof_require, called by order_action). The numbers are those of
-- shared/dispatch-limits.h (DISPATCH_PROOF_*).

-- A new PIN: 4 decimal digits from the strong random source.
CREATE OR REPLACE FUNCTION dispatch.proof_new_pin()
RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT lpad(((('x' || encode(substring(uuid_send(gen_random_uuid()) FROM 1 FOR 4), 'hex'))
                ::bit(32)::bigint) % 10000)::text, 4, '0')
$$;

-- What the delivery requires is set by the order's INSERT (dispatch.order_create)
-- from the create body's "proof" {"pin","photo","signature": boolean}
-- (validated by the C side, which fills in DISPATCH_PROOF_REQUIRED when the
-- request named none): a PIN is dispatch.proof_new_pin().
DROP FUNCTION IF EXISTS dispatch.proof_init(dispatch.orders, jsonb);

-- What is still missing before o may be delivered: some of 'pin', 'photo',
-- 'signature', in that order.
CREATE OR REPLACE FUNCTION dispatch.proof_missing(o dispatch.orders)
RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT array_remove(ARRAY[
    CASE WHEN o.proof_pin IS NOT NULL AND o.proof_pin_verified_at IS NULL THEN 'pin' END,
    CASE WHEN o.proof_photo AND o.proof_photo_at IS NULL THEN 'photo' END,
    CASE WHEN o.proof_signature AND o.proof_signature_at IS NULL THEN 'signature' END],
    NULL)
$$;

-- Raises conflict (field proof) when o's delivery lacks a required proof.
CREATE OR REPLACE FUNCTION dispatch.proof_require(o dispatch.orders)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_missing text[] := dispatch.proof_missing(o);
BEGIN
  IF cardinality(v_missing) > 0 THEN
    PERFORM dispatch.raise_error('conflict',
      format('the delivery needs proof first: %s', array_to_string(v_missing, ', ')), 'proof');
  END IF;
END
$$;

-- Image metadata {"content_type","width","height","size","sha256","uploaded_at"}
-- of one kind, or null.
CREATE OR REPLACE FUNCTION dispatch.proof_image_json(p_order_id uuid, p_kind text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('content_type', i.content_type, 'width', i.width,
                            'height', i.height, 'size', length(i.data), 'sha256', i.sha256,
                            'uploaded_at', dispatch.ts_json(i.uploaded_at))
  FROM dispatch.order_proof_images i
  WHERE i.order_id = p_order_id AND i.kind = p_kind
$$;

-- GET /orders/{id}/proof: the order's proof member (order_json) with
-- "order_id", "status", the images' metadata and, for staff and the owner
-- customer, the PIN itself (never for drivers: they get it from the customer).
CREATE OR REPLACE FUNCTION dispatch.proof_view(p_actor jsonb, o dispatch.orders)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('order_id', o.id, 'status', o.status)
         || (dispatch.order_json(o) -> 'proof')
         || jsonb_build_object(
              'photo', dispatch.proof_image_json(o.id, 'photo'),
              'signature', dispatch.proof_image_json(o.id, 'signature'))
         || CASE WHEN o.proof_pin IS NOT NULL
                      AND (dispatch.is_staff(p_actor ->> 'role')
                           OR p_actor ->> 'role' = 'customer')
                 THEN jsonb_build_object('pin', o.proof_pin)
                 ELSE '{}'::jsonb END
$$;

CREATE OR REPLACE FUNCTION dispatch.order_proof(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT dispatch.proof_view(p_actor, dispatch.visible_order(p_actor, p_id))
$$;

-- The order p_id locked for a proof step of the calling driver: not_found when
-- the driver cannot see it, permission_denied when it is not theirs to
-- deliver, invalid_transition unless it is assigned or picked up.
CREATE OR REPLACE FUNCTION dispatch.proof_order_for_driver(p_actor jsonb, p_id text)
RETURNS dispatch.orders LANGUAGE plpgsql AS $$
DECLARE
  v_o dispatch.orders;
BEGIN
  SELECT * INTO v_o FROM dispatch.orders WHERE id = dispatch.to_uuid(p_id) FOR UPDATE;
  IF NOT FOUND OR NOT dispatch.order_visible(p_actor, v_o) THEN
    PERFORM dispatch.raise_error('not_found', 'no such order');
  END IF;
  IF p_actor ->> 'role' <> 'driver'
     OR v_o.driver_id IS DISTINCT FROM dispatch.to_uuid(p_actor ->> 'driver_id') THEN
    PERFORM dispatch.raise_error('permission_denied',
      'only the assigned driver gives proof of delivery');
  END IF;
  IF v_o.status NOT IN ('assigned', 'picked_up') THEN
    PERFORM dispatch.raise_error('invalid_transition',
      format('an order that is %s takes no proof of delivery', v_o.status));
  END IF;
  RETURN v_o;
END
$$;

-- POST /orders/{id}/proof/pin {"pin"} (the assigned driver). Returns the
-- proof view; "pin_verified" false means the PIN was wrong (the attempt is
-- counted and committed, so the caller answers 422 from the view). No PIN
-- required, or already locked after 5 wrong ones → conflict on field pin. A
-- right PIN after it was verified is a no-op. Each attempt emits
-- order.updated; the one that locks also an alert (kind proof_pin_locked).
CREATE OR REPLACE FUNCTION dispatch.proof_pin_verify(p_actor jsonb, p_id text, p_pin text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_o dispatch.orders := dispatch.proof_order_for_driver(p_actor, p_id);
  v_label text := dispatch.actor_label(p_actor);
  v_right boolean;
BEGIN
  IF v_o.proof_pin IS NULL THEN
    PERFORM dispatch.raise_error('conflict', 'this delivery needs no PIN', 'pin');
  END IF;
  IF v_o.proof_pin_verified_at IS NOT NULL THEN
    IF p_pin IS DISTINCT FROM v_o.proof_pin THEN
      PERFORM dispatch.raise_error('conflict', 'the PIN was verified already', 'pin');
    END IF;
    RETURN dispatch.proof_view(p_actor, v_o);
  END IF;
  IF v_o.proof_pin_attempts >= 5 THEN
    PERFORM dispatch.raise_error('conflict',
      'the PIN is locked after 5 wrong attempts: a dispatcher must settle this delivery',
      'pin');
  END IF;
  v_right := p_pin IS NOT DISTINCT FROM v_o.proof_pin;
  UPDATE dispatch.orders
  SET proof_pin_attempts = proof_pin_attempts + CASE WHEN v_right THEN 0 ELSE 1 END,
      proof_pin_verified_at = CASE WHEN v_right THEN now() END,
      updated_at = now()
  WHERE id = v_o.id
  RETURNING * INTO v_o;
  PERFORM dispatch.emit('order.updated', v_o.id, v_o.driver_id, v_label, dispatch.order_json(v_o));
  IF NOT v_right AND v_o.proof_pin_attempts >= 5 THEN
    PERFORM dispatch.emit('alert', v_o.id, v_o.driver_id, v_label, jsonb_build_object(
      'kind', 'proof_pin_locked',
      'order_id', v_o.id,
      'driver_id', v_o.driver_id,
      'message', 'The delivery PIN was entered wrong 5 times and is locked'));
  END IF;
  RETURN dispatch.proof_view(p_actor, v_o);
END
$$;

-- PUT /orders/{id}/proof/{photo|signature} (the assigned driver): stores the
-- image (p_data: hex of the bytes, checked by the C side: sniffed type,
-- dimensions, size), replacing an earlier one of the kind. Emits
-- order.updated; returns the proof view.
CREATE OR REPLACE FUNCTION dispatch.proof_image_put(p_actor jsonb, p_id text, p_kind text,
                                                    p_content_type text, p_width integer,
                                                    p_height integer, p_data text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_o dispatch.orders := dispatch.proof_order_for_driver(p_actor, p_id);
  v_label text := dispatch.actor_label(p_actor);
  v_data bytea := decode(p_data, 'hex');
BEGIN
  IF p_kind NOT IN ('photo', 'signature') THEN
    PERFORM dispatch.raise_error('not_found', 'no such proof');
  END IF;
  INSERT INTO dispatch.order_proof_images (order_id, kind, content_type, width, height, data,
                                           sha256, uploaded_by)
  VALUES (v_o.id, p_kind, p_content_type, p_width, p_height, v_data,
          encode(sha256(v_data), 'hex'), v_label)
  ON CONFLICT (order_id, kind) DO UPDATE
  SET content_type = excluded.content_type, width = excluded.width, height = excluded.height,
      data = excluded.data, sha256 = excluded.sha256, uploaded_by = excluded.uploaded_by,
      uploaded_at = excluded.uploaded_at;
  UPDATE dispatch.orders
  SET proof_photo_at = CASE WHEN p_kind = 'photo' THEN now() ELSE proof_photo_at END,
      proof_signature_at = CASE WHEN p_kind = 'signature' THEN now() ELSE proof_signature_at END,
      updated_at = now()
  WHERE id = v_o.id
  RETURNING * INTO v_o;
  PERFORM dispatch.emit('order.updated', v_o.id, v_o.driver_id, v_label, dispatch.order_json(v_o));
  RETURN dispatch.proof_view(p_actor, v_o);
END
$$;

-- GET /orders/{id}/proof/{photo|signature} (staff, the owner customer): one
-- row (content_type, hex of the bytes); not_found when the order is not the
-- caller's to see or has no such image.
CREATE OR REPLACE FUNCTION dispatch.proof_image_get(p_actor jsonb, p_id text, p_kind text)
RETURNS TABLE (content_type text, data text) LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_o dispatch.orders := dispatch.visible_order(p_actor, p_id);
BEGIN
  IF NOT (dispatch.is_staff(p_actor ->> 'role') OR p_actor ->> 'role' = 'customer') THEN
    PERFORM dispatch.raise_error('permission_denied',
      'proof images are for staff and the customer');
  END IF;
  RETURN QUERY SELECT i.content_type, encode(i.data, 'hex')
               FROM dispatch.order_proof_images i
               WHERE i.order_id = v_o.id AND i.kind = p_kind;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', format('the order has no %s', p_kind));
  END IF;
END
$$;

-- The failure code of a "failed" status change: p_args.reason_code, one of
-- FailureReasonCode (docs/openapi.json), "other" when absent.
CREATE OR REPLACE FUNCTION dispatch.proof_failure_code(p_args jsonb)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_code text := coalesce(dispatch.json_text(p_args -> 'reason_code', 'reason_code'), 'other');
BEGIN
  IF v_code NOT IN ('customer_absent', 'wrong_address', 'refused', 'damaged', 'unsafe_location',
                    'vehicle_problem', 'pin_locked', 'other') THEN
    PERFORM dispatch.raise_error('invalid_argument', 'reason_code is not a known reason code',
                                 'reason_code');
  END IF;
  RETURN v_code;
END
$$;

-- The PIN a customer e-mail of notification p_id shows (the notifier's claim
-- asks for it beside each row): the order's, while it is wanted; else NULL.
CREATE OR REPLACE FUNCTION dispatch.proof_mail_pin(p_id uuid)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT o.proof_pin
  FROM dispatch.notifications n
  JOIN dispatch.orders o ON o.id = n.order_id
  WHERE n.id = p_id AND n.channel = 'email' AND o.proof_pin_verified_at IS NULL
        AND o.status IN ('pending', 'assigned', 'picked_up')
$$;

-- Capacity beyond a count (data/sql/0151-capacity.sql) --------------------
-- (in this file too: the helpers of issue 12 share one functions file)

-- The load of an order is set by its INSERT (dispatch.order_create) from the
-- create body's items [{"weight_kg"?,"volume_l"?,…}] (per unit, validated by
-- the C side): the order's totals, and each rendered item gets its own values.
DROP FUNCTION IF EXISTS dispatch.load_init(dispatch.orders, jsonb);

-- The load driver d carries (assigned, picked up) and is offered (live
-- offers), without order p_except: (weight_kg, volume_l).
CREATE OR REPLACE FUNCTION dispatch.driver_load(d dispatch.drivers, p_except uuid,
                                                OUT weight_kg double precision,
                                                OUT volume_l double precision)
LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(x.load_weight_kg), 0), coalesce(sum(x.load_volume_l), 0)
  FROM dispatch.orders x
  WHERE x.id IS DISTINCT FROM p_except
    AND ((x.driver_id = d.id AND x.status IN ('assigned', 'picked_up'))
         OR (x.offer_driver_id = d.id AND x.status = 'pending' AND x.offer_expires_at > now()))
$$;

-- Whether order o fits driver d's vehicle limits on top of what d holds.
CREATE OR REPLACE FUNCTION dispatch.load_fits(d dispatch.drivers, o dispatch.orders)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT d.max_weight_kg IS NULL AND d.max_volume_l IS NULL
         OR (SELECT (d.max_weight_kg IS NULL OR l.weight_kg + o.load_weight_kg <= d.max_weight_kg)
                    AND (d.max_volume_l IS NULL OR l.volume_l + o.load_volume_l <= d.max_volume_l)
             FROM dispatch.driver_load(d, o.id) l)
$$;

-- What a dispatcher's assignment of order p_order_id to driver p_driver_id
-- (done already) goes beyond: [{"code":"over_capacity"|"over_weight"|
-- "over_volume","message"}], or NULL when nothing. People may exceed; the
-- answer of the assign action carries these as "warnings".
CREATE OR REPLACE FUNCTION dispatch.assign_warnings(p_driver_id uuid)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_d dispatch.drivers;
  v_held bigint;
  v_load record;
  v_warnings jsonb := '[]'::jsonb;
BEGIN
  SELECT * INTO v_d FROM dispatch.drivers WHERE id = p_driver_id;
  SELECT count(*) INTO v_held FROM dispatch.orders x
  WHERE x.driver_id = p_driver_id AND x.status IN ('assigned', 'picked_up');
  SELECT * INTO v_load FROM dispatch.driver_load(v_d, NULL);
  IF v_held > v_d.capacity THEN
    v_warnings := v_warnings || jsonb_build_object('code', 'over_capacity', 'message',
      format('the driver now holds %s orders, capacity %s', v_held, v_d.capacity));
  END IF;
  IF v_load.weight_kg > v_d.max_weight_kg THEN
    v_warnings := v_warnings || jsonb_build_object('code', 'over_weight', 'message',
      format('the driver now carries %s kg, the vehicle takes %s kg',
             round(v_load.weight_kg::numeric, 3), v_d.max_weight_kg));
  END IF;
  IF v_load.volume_l > v_d.max_volume_l THEN
    v_warnings := v_warnings || jsonb_build_object('code', 'over_volume', 'message',
      format('the driver now carries %s l, the vehicle takes %s l',
             round(v_load.volume_l::numeric, 3), v_d.max_volume_l));
  END IF;
  RETURN CASE WHEN jsonb_array_length(v_warnings) > 0 THEN v_warnings END;
END
$$;

-- The vehicle limits and the load of active orders of every driver that has
-- limits (the fleet joins them to fleet_snapshot): (id, max_weight_kg,
-- max_volume_l, weight_kg, volume_l), NULL limit: none.
CREATE OR REPLACE FUNCTION dispatch.fleet_loads()
RETURNS TABLE (id text, max_weight_kg double precision, max_volume_l double precision,
               weight_kg double precision, volume_l double precision)
LANGUAGE sql STABLE AS $$
  SELECT d.id::text, d.max_weight_kg, d.max_volume_l,
         coalesce(sum(x.load_weight_kg), 0), coalesce(sum(x.load_volume_l), 0)
  FROM dispatch.drivers d
  LEFT JOIN dispatch.orders x ON x.driver_id = d.id AND x.status IN ('assigned', 'picked_up')
  WHERE d.max_weight_kg IS NOT NULL OR d.max_volume_l IS NOT NULL
  GROUP BY d.id
$$;
