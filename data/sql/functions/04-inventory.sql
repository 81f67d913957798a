-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Inventory of tracked SKUs: available = quantity - reserved. Orders reserve
-- (order_create), delivery consumes, cancel and failure release
-- (dispatch.settle_reservations). Inventory rows are locked in sku order.

-- PUT /inventory/{sku} (admin): creates or updates; p_name NULL keeps the
-- current name. A quantity below the current reservations → conflict.
-- Returns {"sku","name","quantity","reserved","available"}.
CREATE OR REPLACE FUNCTION dispatch.inventory_put(p_actor jsonb, p_sku text, p_quantity bigint,
                                                  p_name text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_i dispatch.inventory;
BEGIN
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

-- GET /inventory/{sku} (any authenticated caller); unknown → not_found.
CREATE OR REPLACE FUNCTION dispatch.inventory_get(p_actor jsonb, p_sku text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_i dispatch.inventory;
BEGIN
  SELECT * INTO v_i FROM dispatch.inventory WHERE sku = p_sku;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'no such sku');
  END IF;
  RETURN dispatch.inventory_json(v_i);
END
$$;

-- Releases (p_consume false: cancel, failure) or consumes (true: delivery)
-- the stock an order reserved, and forgets the reservations.
CREATE OR REPLACE FUNCTION dispatch.settle_reservations(p_order_id uuid, p_consume boolean)
RETURNS void LANGUAGE plpgsql AS $$
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
