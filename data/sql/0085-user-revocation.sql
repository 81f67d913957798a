-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Revocable sign-ins: an admin can disable a user, and a password change or a
-- "sign out everywhere" moves tokens_valid_after, before which every token of
-- the user is refused (servers cache this for a few seconds: see
-- server/auth/dsd-account-states.h). NULL: nothing revoked yet.

ALTER TABLE dispatch.users
  ADD COLUMN disabled           boolean     NOT NULL DEFAULT false,
  ADD COLUMN tokens_valid_after timestamptz;
