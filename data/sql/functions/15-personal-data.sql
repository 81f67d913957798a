-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Personal data over time (migration 0171-personal-data.sql): what of an
-- order is personal, its erasure (after DISPATCH_CONTACT_RETENTION_DAYS, or
-- of one customer at an admin's request) and one customer's export.
--
-- Personal: the order's contact (name, e-mail, phone) wherever it was
-- copied: the order row, its events in the outbox (which webhooks, streams
-- and replays read), the stored answers of idempotent requests and the
-- e-mail addresses of its notification records. An admin's erasure of a
-- customer also takes the orders' addresses and notes. What stays: ids,
-- statuses, times, positions, items: every count and duration adds up as
-- before. Copies outside the database are not reached: Kafka topics age out
-- by DISPATCH_KAFKA_RETENTION_EVENTS_H, cached order reads within seconds.

-- Erases the personal data of orders p_ids (all of it with p_whole, else the
-- contact details); returns how many orders changed.
CREATE OR REPLACE FUNCTION dispatch.erase_orders_personal(p_ids uuid[], p_whole boolean)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_n bigint;
  v_texts text[] := p_ids::text[];
BEGIN
  UPDATE dispatch.orders
  SET contact = NULL,
      pickup_address = CASE WHEN p_whole THEN NULL ELSE pickup_address END,
      dropoff_address = CASE WHEN p_whole THEN NULL ELSE dropoff_address END,
      notes = CASE WHEN p_whole THEN NULL ELSE notes END,
      personal_data_erased_at = now()
  WHERE id = ANY (p_ids);
  GET DIAGNOSTICS v_n = ROW_COUNT;

  UPDATE dispatch.outbox
  SET data = dispatch.order_json_without_personal(data, p_whole)
  WHERE order_id = ANY (p_ids);

  UPDATE dispatch.idempotency_keys
  SET response = dispatch.order_json_without_personal(response, p_whole)
  WHERE response ->> 'id' = ANY (v_texts);

  UPDATE dispatch.notifications
  SET target = 'erased'
  WHERE order_id = ANY (p_ids) AND channel = 'email';
  RETURN v_n;
END
$$;

-- An order object (or event data holding one) without its personal members:
-- contact removed; with p_whole the addresses and notes null.
CREATE OR REPLACE FUNCTION dispatch.order_json_without_personal(p jsonb, p_whole boolean)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN jsonb_typeof(p) <> 'object' THEN p
    WHEN NOT p_whole THEN p - 'contact'
    ELSE jsonb_set(jsonb_set(
           (p - 'contact') || CASE WHEN p ? 'notes' THEN '{"notes":null}'::jsonb
                                   ELSE '{}'::jsonb END,
           '{pickup,address}', 'null', false),
         '{dropoff,address}', 'null', false)
  END
$$;

-- The retention job (DISPATCH_CONTACT_RETENTION_DAYS): erases the contact
-- details of at most p_limit orders that ended before p_before and have no
-- e-mail still to send; returns how many.
CREATE OR REPLACE FUNCTION dispatch.erase_ended_contacts(p_before timestamptz, p_limit integer)
RETURNS bigint LANGUAGE sql AS $$
  SELECT dispatch.erase_orders_personal(ARRAY(
    SELECT o.id FROM dispatch.orders o
    WHERE o.contact IS NOT NULL AND o.closed_at IS NOT NULL AND o.closed_at < p_before
      AND NOT EXISTS (SELECT 1 FROM dispatch.notifications n
                      WHERE n.order_id = o.id AND n.channel = 'email' AND n.status = 'pending')
    ORDER BY o.closed_at
    LIMIT greatest(p_limit, 1)
    FOR UPDATE SKIP LOCKED), false)
$$;

-- GET /customers/{id}/personal-data (admin): {"customer_id","users":[…],
-- "orders":[order objects, oldest first],"notifications":[{"order_id",
-- "channel","target","template","status","created_at"}]} (e-mail only).
CREATE OR REPLACE FUNCTION dispatch.customer_data(p_actor jsonb, p_customer_id text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'customer_id', p_customer_id,
    'users', (SELECT coalesce(jsonb_agg(dispatch.user_json(u) ORDER BY u.created_at), '[]')
              FROM dispatch.users u WHERE u.customer_id = p_customer_id),
    'orders', (SELECT coalesce(jsonb_agg(dispatch.order_json(o)
                                         || jsonb_build_object('personal_data_erased_at',
                                              dispatch.ts_json(o.personal_data_erased_at))
                                         ORDER BY o.created_at, o.id), '[]')
               FROM dispatch.orders o WHERE o.customer_id = p_customer_id),
    'notifications', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                               'order_id', n.order_id, 'channel', n.channel, 'target', n.target,
                               'template', n.template, 'status', n.status,
                               'created_at', dispatch.ts_json(n.created_at))
                             ORDER BY n.created_at, n.id), '[]')
                      FROM dispatch.notifications n
                      JOIN dispatch.orders o ON o.id = n.order_id
                      WHERE o.customer_id = p_customer_id AND n.channel = 'email'))
$$;

-- DELETE /customers/{id}/personal-data (admin): erases the contact details,
-- addresses and notes of every order of the customer; conflict while one of
-- them is open. Returns {"customer_id","orders_erased":N}. The customer's
-- user accounts are the users endpoints' business.
CREATE OR REPLACE FUNCTION dispatch.customer_erase(p_actor jsonb, p_customer_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_ids uuid[];
BEGIN
  SELECT array_agg(o.id ORDER BY o.id) INTO v_ids
  FROM (SELECT id FROM dispatch.orders WHERE customer_id = p_customer_id ORDER BY id FOR UPDATE) o;
  IF EXISTS (SELECT 1 FROM dispatch.orders
             WHERE id = ANY (v_ids) AND status IN ('pending', 'assigned', 'picked_up')) THEN
    PERFORM dispatch.raise_error('conflict', 'the customer has open orders');
  END IF;
  RETURN jsonb_build_object('customer_id', p_customer_id,
                            'orders_erased', dispatch.erase_orders_personal(
                                               coalesce(v_ids, '{}'), true));
END
$$;
