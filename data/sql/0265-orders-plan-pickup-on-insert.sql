-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- An order is created by one INSERT with its times (dispatch.order_create), so
-- pickup_at is planned on INSERT too, by the trigger function of
-- 0130-windows.sql (functions/12-windows.sql). Only an order with a ready
-- time or a delivery window fires it.

CREATE TRIGGER orders_plan_pickup_insert
  BEFORE INSERT ON dispatch.orders
  FOR EACH ROW WHEN (NEW.ready_at IS NOT NULL OR NEW.deliver_after IS NOT NULL)
  EXECUTE FUNCTION dispatch.orders_plan_pickup();
