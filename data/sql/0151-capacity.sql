-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Capacity beyond a count (issue 12): an order's load (the sum of its items'
-- weight_kg and volume_l times their quantity) and a driver's vehicle limits
-- (NULL: none). Automation never exceeds them (dispatch.auto_assign, the
-- engine); a dispatcher may, with a warning (dispatch.assign_warnings).
-- Numbers of shared/dispatch-limits.h (DISPATCH_DRIVER_MAX_WEIGHT_KG, ...).

ALTER TABLE dispatch.orders
  ADD COLUMN load_weight_kg double precision NOT NULL DEFAULT 0 CHECK (load_weight_kg >= 0),
  ADD COLUMN load_volume_l double precision NOT NULL DEFAULT 0 CHECK (load_volume_l >= 0);

ALTER TABLE dispatch.drivers
  ADD COLUMN max_weight_kg double precision CHECK (max_weight_kg > 0 AND max_weight_kg <= 100000),
  ADD COLUMN max_volume_l double precision CHECK (max_volume_l > 0 AND max_volume_l <= 100000);
