-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Dispatch schema: tables, constraints, indexes.
--
-- Migrations are applied by the server (store/dsd-migrations.c) in name order,
-- each once and in its own transaction; a migration that has shipped is never
-- edited again: changes go into a new file.
--
-- Conventions (see docs/architecture.md, "Conventions of the SQL API"):
-- * Everything lives in schema "dispatch" and every reference inside function
--   bodies is schema-qualified, so no function depends on search_path.
-- * Statuses, roles and vehicles are text with CHECK constraints (not enum
--   types), so later migrations can extend them with a plain ALTER TABLE.
-- * Lock order, for every function here and the ones to come (dispatch engine):
--   order rows first (several: in id order), then driver rows (several: in id
--   order), then inventory rows (in sku order). Driver rows are only locked
--   FOR SHARE by order functions; their state (idle/busy) is derived from
--   orders and never written by them.

CREATE SCHEMA IF NOT EXISTS dispatch;

-- A time-ordered uuid (version 7 layout: 48-bit Unix milliseconds, then 74
-- random bits). Used for order ids so that index insertions append instead of
-- touching random pages (far less WAL: no full-page image per insert).
CREATE FUNCTION dispatch.uuid_v7()
RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_byte(
      overlay(s.b PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)
                                              ::bigint) FROM 3)
              FROM 1 FOR 6),
      6, (get_byte(s.b, 6) & 15) | 112),
    'hex')::uuid
  FROM (SELECT uuid_send(gen_random_uuid()) AS b) s
$$;

-- Drivers --------------------------------------------------------------------

CREATE TABLE dispatch.drivers (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  phone         text        CHECK (length(phone) <= 64),
  vehicle       text        NOT NULL DEFAULT 'car'
                            CHECK (vehicle IN ('bike', 'scooter', 'car', 'van')),
  capacity      integer     NOT NULL DEFAULT 1 CHECK (capacity >= 1),
  online        boolean     NOT NULL DEFAULT false,
  -- false: the assignment engine never offers/assigns to this driver (manual only)
  auto_dispatch boolean     NOT NULL DEFAULT true,
  -- live position: the newest point known (moved only by a newer point)
  lat           double precision CHECK (lat BETWEEN -90 AND 90),
  lon           double precision CHECK (lon BETWEEN -180 AND 180),
  heading       double precision,
  speed_mps     double precision,
  accuracy_m    double precision,
  location_at   timestamptz,
  -- last time the driver was heard of (any location post, online change)
  last_seen_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((lat IS NULL) = (lon IS NULL) AND (lat IS NULL) = (location_at IS NULL))
) WITH (fillfactor = 70);  -- the live position is updated constantly: keep updates HOT
-- No index on (lat, lon) on purpose: it would make every live-position update
-- non-HOT. `near` queries filter a bounding box on a scan of the (small) table.

CREATE INDEX drivers_name_idx ON dispatch.drivers (name, id);

-- Location history. COPY-friendly: no foreign key, no triggers, one btree.
CREATE TABLE dispatch.driver_locations (
  driver_id   uuid             NOT NULL,
  recorded_at timestamptz      NOT NULL,
  lat         double precision NOT NULL,
  lon         double precision NOT NULL,
  heading     double precision,
  speed_mps   double precision,
  accuracy_m  double precision,
  received_at timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX driver_locations_driver_time_idx
  ON dispatch.driver_locations (driver_id, recorded_at);

-- Users ----------------------------------------------------------------------

CREATE TABLE dispatch.users (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  -- case-sensitive, 1..64 characters
  username      text        NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
  password_hash text        NOT NULL,
  role          text        NOT NULL CHECK (role IN ('admin', 'dispatcher', 'driver', 'customer')),
  driver_id     uuid        UNIQUE REFERENCES dispatch.drivers (id),
  -- opaque account id (text, not necessarily a uuid); shared by users allowed
  customer_id   text        CHECK (length(customer_id) BETWEEN 1 AND 200),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (driver_id IS NULL OR role = 'driver'),
  CHECK (customer_id IS NULL OR role = 'customer')
);
CREATE INDEX users_created_idx ON dispatch.users (created_at, id);

-- Inventory ------------------------------------------------------------------

CREATE TABLE dispatch.inventory (
  sku        text        PRIMARY KEY CHECK (length(sku) BETWEEN 1 AND 200),
  name       text,
  quantity   bigint      NOT NULL CHECK (quantity >= 0),
  reserved   bigint      NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (reserved <= quantity)
);

-- Orders ---------------------------------------------------------------------

CREATE TABLE dispatch.orders (
  id                  uuid        PRIMARY KEY DEFAULT dispatch.uuid_v7(),
  customer_id         text        CHECK (length(customer_id) BETWEEN 1 AND 200),
  status              text        NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'assigned', 'picked_up',
                                        'delivered', 'cancelled', 'failed')),
  -- reason given with cancel / failed
  status_reason       text,
  pickup_lat          double precision NOT NULL CHECK (pickup_lat BETWEEN -90 AND 90),
  pickup_lon          double precision NOT NULL CHECK (pickup_lon BETWEEN -180 AND 180),
  pickup_address      text,
  dropoff_lat         double precision NOT NULL CHECK (dropoff_lat BETWEEN -90 AND 90),
  dropoff_lon         double precision NOT NULL CHECK (dropoff_lon BETWEEN -180 AND 180),
  dropoff_address     text,
  -- the rendered items [{"sku","name","quantity","price_cents"}], as returned
  items               jsonb       NOT NULL DEFAULT '[]',
  notes               text,
  -- 0 (default, normal) .. 9 (most urgent)
  priority            smallint    NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 9),
  -- {"name"?,"email"?,"phone"?} or NULL; never on public tracking
  contact             jsonb,
  driver_id           uuid        REFERENCES dispatch.drivers (id),
  eta_seconds         integer     CHECK (eta_seconds >= 0),
  -- base64url(id bytes || 144 random bits): found through the id it carries,
  -- so it needs no index of its own (see dispatch.track_public)
  tracking_token      text        NOT NULL,
  assignment_attempts integer     NOT NULL DEFAULT 0,
  -- assigned by a person: automation never overrides it
  manual              boolean     NOT NULL DEFAULT false,
  -- a pending offer to a driver (DISPATCH_OFFER_TIMEOUT_S > 0)
  offer_driver_id     uuid        REFERENCES dispatch.drivers (id),
  offer_expires_at    timestamptz,
  -- engine bookkeeping: next automatic attempt, last "unassignable" alert
  next_attempt_at     timestamptz DEFAULT now(),
  unassignable_alerted_at timestamptz,
  assigned_at         timestamptz,
  picked_up_at        timestamptz,
  closed_at           timestamptz,
  created_by          text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((offer_driver_id IS NULL) = (offer_expires_at IS NULL)),
  CHECK (status NOT IN ('assigned', 'picked_up') OR driver_id IS NOT NULL),
  CHECK (status = 'pending' OR offer_driver_id IS NULL)
);

-- Few indexes touch an insert: each one costs WAL on the hot POST /orders path.
-- lists, newest first (scanned backwards), with and without filters
CREATE INDEX orders_created_idx  ON dispatch.orders (created_at, id);
CREATE INDEX orders_status_idx   ON dispatch.orders (status, created_at, id);
CREATE INDEX orders_customer_idx ON dispatch.orders (customer_id, created_at, id)
  WHERE customer_id IS NOT NULL;
CREATE INDEX orders_driver_idx   ON dispatch.orders (driver_id, created_at, id)
  WHERE driver_id IS NOT NULL;
-- a driver's active orders (driver state, active_orders)
CREATE INDEX orders_active_driver_idx ON dispatch.orders (driver_id)
  WHERE status IN ('assigned', 'picked_up');
-- live offers
CREATE INDEX orders_offer_idx ON dispatch.orders (offer_driver_id)
  WHERE offer_driver_id IS NOT NULL;

-- Stock reserved by an order for tracked SKUs: released on cancel/failure,
-- consumed on delivery, then deleted. Exact even if an inventory row for an
-- untracked SKU is created later.
CREATE TABLE dispatch.order_reservations (
  order_id uuid   NOT NULL REFERENCES dispatch.orders (id) ON DELETE CASCADE,
  sku      text   NOT NULL,
  quantity bigint NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, sku)
);

-- Drivers automation must not give an order to again ('unassigned' by staff,
-- 'declined' by the driver). Manual assignment ignores this table.
CREATE TABLE dispatch.order_exclusions (
  order_id   uuid        NOT NULL REFERENCES dispatch.orders (id) ON DELETE CASCADE,
  driver_id  uuid        NOT NULL,
  reason     text        NOT NULL CHECK (reason IN ('unassigned', 'declined', 'expired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, driver_id)
);

-- Idempotency ----------------------------------------------------------------

-- Scoped to the caller (actor.user_id). Concurrent requests with one key
-- serialise on a transaction advisory lock taken on (user, key) before the
-- row is looked up (dispatch.idem_begin); the row is written once, at the end
-- of the first request's transaction. The response is either stored or, to
-- save WAL on the hot path, the outbox event whose data is that response
-- (response_event): outbox rows must be kept as long as the keys (>= 24 h).
-- Kept at least 24 h (dispatch.purge_idempotency_keys()).
CREATE TABLE dispatch.idempotency_keys (
  user_id        text        NOT NULL,
  key            text        NOT NULL,
  request_hash   text        NOT NULL,
  response       jsonb,
  response_event bigint,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key),
  CHECK (response IS NOT NULL OR response_event IS NOT NULL)
);
-- BRIN: rows arrive in created_at order; nearly free on insert
CREATE INDEX idempotency_keys_created_idx ON dispatch.idempotency_keys USING brin (created_at);

-- Outbox ---------------------------------------------------------------------

-- Events, written in the transaction of each state change, never updated.
-- The relay (dispatch.relay_claim) numbers them later in commit-safe order:
-- the queue of unnumbered events is dispatch.outbox_pending, the numbers are
-- in dispatch.outbox_seq (a separate small table, so that numbering does not
-- rewrite the event rows: a fraction of the WAL). dispatch.events joins them.
-- Rows referenced by idempotency_keys.response_event must be kept >= 24 h.
CREATE TABLE dispatch.outbox (
  id           bigserial   PRIMARY KEY,
  event_id     uuid        NOT NULL DEFAULT gen_random_uuid(),
  type         text        NOT NULL CHECK (type IN (
                 'order.created', 'order.updated', 'order.assigned', 'order.offer',
                 'order.unassignable', 'driver.updated', 'driver.location', 'alert')),
  order_id     uuid,
  driver_id    uuid,
  -- "<role>:<user id>" of the caller, or "system" for automation
  actor        text        NOT NULL,
  -- now(): the events of one transaction share their time
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  data         jsonb       NOT NULL
);
CREATE INDEX outbox_order_idx ON dispatch.outbox (order_id, id) WHERE order_id IS NOT NULL;

-- Committed events not numbered yet (inserted with the event, deleted by the relay).
CREATE TABLE dispatch.outbox_pending (
  id bigint PRIMARY KEY
);

-- seq of each numbered (published) event: gap-free, increasing in the order
-- the relay publishes.
CREATE TABLE dispatch.outbox_seq (
  seq          bigint      PRIMARY KEY,
  outbox_id    bigint      NOT NULL UNIQUE,
  published_at timestamptz NOT NULL DEFAULT now()
);

-- The relay's counter: the last seq given out. One row; updated only under the
-- relay's advisory lock, so seq is gap-free (a rolled-back claim gives nothing
-- away, unlike a sequence).
CREATE TABLE dispatch.relay_state (
  id       integer PRIMARY KEY CHECK (id = 1),
  last_seq bigint  NOT NULL
);
INSERT INTO dispatch.relay_state (id, last_seq) VALUES (1, 0);

-- Events with their seq (NULL until numbered), for reading and tools.
CREATE VIEW dispatch.events AS
  SELECT e.id, e.event_id, s.seq, e.type, e.order_id, e.driver_id, e.actor, e.occurred_at,
         e.data, s.published_at
  FROM dispatch.outbox e
  LEFT JOIN dispatch.outbox_seq s ON s.outbox_id = e.id;
