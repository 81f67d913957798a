-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- The finished orders of a day (GET /orders?closed_since=…, the console's
-- "Finished today"): closed_at is set when an order is delivered, cancelled or
-- failed.

CREATE INDEX orders_closed_idx ON dispatch.orders (closed_at) WHERE closed_at IS NOT NULL;
