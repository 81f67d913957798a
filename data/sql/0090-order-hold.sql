-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- A dispatcher's controls over automation for one order
-- (POST /orders/{id}/hold, POST /orders/{id}/exclude): "held" keeps
-- automation away from the order until released; an exclusion with reason
-- 'dispatcher' keeps it from giving the order to that driver.

ALTER TABLE dispatch.orders ADD COLUMN held boolean NOT NULL DEFAULT false;

ALTER TABLE dispatch.order_exclusions DROP CONSTRAINT order_exclusions_reason_check;
ALTER TABLE dispatch.order_exclusions ADD CONSTRAINT order_exclusions_reason_check
  CHECK (reason IN ('unassigned', 'declined', 'expired', 'dispatcher'));
