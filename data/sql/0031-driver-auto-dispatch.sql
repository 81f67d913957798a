-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Pausing a driver from automatic dispatch (POST /drivers/{id}/auto-dispatch).
-- The driver object carries "auto_dispatch", which the live fleet follows from
-- driver.updated.

-- POST /drivers/{id}/auto-dispatch (dispatcher, admin): p_auto false pauses
-- the driver from automatic offers and assignments (manual assignment still
-- works), true resumes. Pausing withdraws the driver's live offers without
-- excluding the driver from those orders (order.updated each; the engine
-- re-dispatches them). Emits driver.updated when the value changes. Returns
-- the driver.
CREATE FUNCTION dispatch.driver_set_auto_dispatch(p_actor jsonb, p_id text, p_auto boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
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
