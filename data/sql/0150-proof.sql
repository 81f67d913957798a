-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Proof of delivery (issue 12): what an order's delivery requires (a PIN the
-- customer gives the driver, a photo, a signature), how far the driver got,
-- the images themselves, and the reason code of a failed delivery. The rules
-- are dispatch.proof_* (functions/13-proof.sql); the numbers are those of
-- shared/dispatch-limits.h (DISPATCH_PROOF_*), repeated here as the backstop.

ALTER TABLE dispatch.orders
  -- the PIN the customer sees (tracking page, e-mail); NULL: none required
  ADD COLUMN proof_pin text CHECK (proof_pin ~ '^[0-9]{4}$'),
  ADD COLUMN proof_pin_attempts integer NOT NULL DEFAULT 0
    CHECK (proof_pin_attempts BETWEEN 0 AND 5),
  ADD COLUMN proof_pin_verified_at timestamptz,
  -- images required, and when the current one was uploaded
  ADD COLUMN proof_photo boolean NOT NULL DEFAULT false,
  ADD COLUMN proof_photo_at timestamptz,
  ADD COLUMN proof_signature boolean NOT NULL DEFAULT false,
  ADD COLUMN proof_signature_at timestamptz,
  -- a failed delivery's reason code (docs/openapi.json, FailureReasonCode)
  ADD COLUMN failure_code text CHECK (failure_code IN (
    'customer_absent', 'wrong_address', 'refused', 'damaged', 'unsafe_location',
    'vehicle_problem', 'pin_locked', 'other'));

-- The photo and signature of a delivery, served by every instance from here.
-- content_type is what the bytes are (sniffed), not what the client said.
CREATE TABLE dispatch.order_proof_images (
  order_id     uuid        NOT NULL REFERENCES dispatch.orders (id) ON DELETE CASCADE,
  kind         text        NOT NULL CHECK (kind IN ('photo', 'signature')),
  content_type text        NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
  width        integer     NOT NULL CHECK (width BETWEEN 1 AND 8192),
  height       integer     NOT NULL CHECK (height BETWEEN 1 AND 8192),
  data         bytea       NOT NULL CHECK (length(data) BETWEEN 1 AND 524288),
  sha256       text        NOT NULL,
  uploaded_by  text        NOT NULL,
  uploaded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, kind)
);
-- the bytes are compressed already
ALTER TABLE dispatch.order_proof_images ALTER COLUMN data SET STORAGE EXTERNAL;
