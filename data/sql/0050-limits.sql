-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- One number per limit. The limits of the API's input live in C
-- (shared/dispatch-limits.h), which validates before any SQL runs; the SQL
-- functions keep only the rules that need the row. These CHECK constraints are
-- the database's backstop, with the same numbers (tests/test-pg.c compares
-- them with the C table). Where v0.1.0 allowed more than the API ever did, the
-- old, wider constraint is replaced.

-- Functions whose bounds moved to C, and checks the router's role masks make
-- (data/sql/functions/ defines what replaces them).
DROP FUNCTION dispatch.json_text(jsonb, text, integer);
DROP FUNCTION dispatch.json_num(jsonb, text, double precision, double precision);
DROP FUNCTION dispatch.json_int(jsonb, text, bigint, bigint);
DROP FUNCTION dispatch.page_limit(integer);
DROP FUNCTION dispatch.require_admin(jsonb);

ALTER TABLE dispatch.drivers
  DROP CONSTRAINT drivers_phone_check,
  DROP CONSTRAINT drivers_capacity_check,
  ADD CONSTRAINT drivers_phone_limit CHECK (length(phone) <= 40) NOT VALID,
  ADD CONSTRAINT drivers_capacity_limit CHECK (capacity BETWEEN 1 AND 100) NOT VALID;

ALTER TABLE dispatch.users
  DROP CONSTRAINT users_customer_id_check,
  ADD CONSTRAINT users_customer_id_limit CHECK (length(customer_id) BETWEEN 1 AND 64) NOT VALID;

ALTER TABLE dispatch.inventory
  DROP CONSTRAINT inventory_sku_check,
  ADD CONSTRAINT inventory_sku_limit CHECK (length(sku) BETWEEN 1 AND 64) NOT VALID,
  ADD CONSTRAINT inventory_name_limit CHECK (length(name) <= 200) NOT VALID,
  ADD CONSTRAINT inventory_quantity_limit CHECK (quantity <= 1000000000) NOT VALID;

ALTER TABLE dispatch.orders
  DROP CONSTRAINT orders_customer_id_check,
  ADD CONSTRAINT orders_customer_id_limit CHECK (length(customer_id) BETWEEN 1 AND 64) NOT VALID,
  ADD CONSTRAINT orders_pickup_address_limit CHECK (length(pickup_address) <= 500) NOT VALID,
  ADD CONSTRAINT orders_dropoff_address_limit CHECK (length(dropoff_address) <= 500) NOT VALID,
  ADD CONSTRAINT orders_notes_limit CHECK (length(notes) <= 2000) NOT VALID,
  ADD CONSTRAINT orders_status_reason_limit CHECK (length(status_reason) <= 500) NOT VALID,
  ADD CONSTRAINT orders_items_limit CHECK (jsonb_array_length(items) <= 200) NOT VALID;

ALTER TABLE dispatch.idempotency_keys
  ADD CONSTRAINT idempotency_keys_key_limit CHECK (length(key) BETWEEN 1 AND 255) NOT VALID;

-- New rows are checked from now on. Existing rows were written through the
-- same C limits, so validating normally succeeds; a row that does not fit (one
-- written around the API) leaves its constraint NOT VALID with a warning
-- instead of refusing the upgrade.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.conrelid::regclass AS tab, c.conname
    FROM pg_constraint c
    WHERE c.connamespace = 'dispatch'::regnamespace AND c.contype = 'c'
      AND NOT c.convalidated AND c.conname LIKE '%\_limit'
  LOOP
    BEGIN
      EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', r.tab, r.conname);
    EXCEPTION WHEN check_violation THEN
      RAISE WARNING 'constraint % on % stays NOT VALID: existing rows exceed it',
        r.conname, r.tab;
    END;
  END LOOP;
END
$$;
