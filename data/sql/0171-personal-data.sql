-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Personal data over time (issue 14): the contact details of an order
-- (name, e-mail, phone) are erased DISPATCH_CONTACT_RETENTION_DAYS after it
-- ended (dispatch.erase_ended_contacts), and an admin may export and erase
-- one customer's data (dispatch.customer_data, dispatch.customer_erase).
-- The order, its events and its notifications stay (without what is
-- personal), so counts and reports still add up.

ALTER TABLE dispatch.orders ADD COLUMN personal_data_erased_at timestamptz;

-- the ended orders whose contact details are still there, oldest end first
CREATE INDEX orders_contact_kept_idx ON dispatch.orders (closed_at)
  WHERE contact IS NOT NULL AND closed_at IS NOT NULL;
