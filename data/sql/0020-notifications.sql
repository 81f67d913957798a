-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Notifications: who hears about which committed event, and a record of every
-- attempt to tell them (server/notify/).
--
-- The decision is durable. dispatch.notify_plan() turns published events (in
-- seq order, from a cursor) into notification rows in one transaction,
-- idempotently; workers in any number of instances claim due rows with
-- FOR UPDATE SKIP LOCKED (dispatch.notify_claim), send, and record the
-- outcome (dispatch.notify_record). A claim leases its row by moving
-- next_attempt_at past the send timeout, so a worker that dies mid-send leaves
-- the row to be claimed again once the lease runs out: every notification is
-- sent at least once, and an event committed while no notifier ran is planned
-- when one starts.

-- Webhook subscriptions (POST /api/v1/webhooks; functions in 0021-webhooks.sql).
CREATE TABLE dispatch.webhooks (
  id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  url        text        NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
  events     text[]      NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 8),
  -- the HMAC key of X-Dispatch-Signature; shown once, when created
  secret     text        NOT NULL CHECK (length(secret) BETWEEN 16 AND 256),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_created_idx ON dispatch.webhooks (created_at, id);

-- One notification of one event to one target, with its delivery record.
CREATE TABLE dispatch.notifications (
  id              uuid        PRIMARY KEY DEFAULT dispatch.uuid_v7(),
  -- the event (dispatch.outbox.id) and its public id and type
  outbox_id       bigint      NOT NULL,
  event_id        uuid        NOT NULL,
  event_type      text        NOT NULL,
  order_id        uuid,
  channel         text        NOT NULL CHECK (channel IN ('email', 'webhook')),
  -- the e-mail address, or the webhook's URL when the row was planned
  target          text        NOT NULL,
  -- webhook rows: the subscription (no foreign key: the record outlives it)
  webhook_id      uuid,
  -- e-mail rows: created | assigned | picked_up | delivered | cancelled | failed
  template        text,
  -- pending: due at next_attempt_at (leased to a worker until then while one
  -- sends it); sent; dead: every attempt failed (for webhooks: the dead-letter
  -- list); dropped: its webhook was deleted
  status          text        NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sent', 'dead', 'dropped')),
  -- attempts started so far (counted when claimed)
  attempts        integer     NOT NULL DEFAULT 0,
  last_error      text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  -- when it first became a dead letter (kept while a redelivery is pending)
  dead_at         timestamptz,
  CHECK (channel = 'email' OR webhook_id IS NOT NULL),
  CHECK (channel = 'webhook' OR template IS NOT NULL)
);
-- Planning twice creates nothing twice.
CREATE UNIQUE INDEX notifications_event_target_idx
  ON dispatch.notifications (event_id, channel, target, webhook_id) NULLS NOT DISTINCT;
-- A customer hears of each status once, even if later order.updated events
-- (ETA, notes) repeat it; reassignments do tell them again.
CREATE UNIQUE INDEX notifications_order_mail_idx
  ON dispatch.notifications (order_id, template, target)
  WHERE channel = 'email' AND template <> 'assigned';
CREATE INDEX notifications_due_idx
  ON dispatch.notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_webhook_open_idx
  ON dispatch.notifications (webhook_id, dead_at, id) WHERE status IN ('pending', 'dead');

-- The planner's cursor: the last seq turned into notifications. Starts at the
-- current seq, so a database that had events before this migration does not
-- notify about its past.
CREATE TABLE dispatch.notify_state (
  id       integer PRIMARY KEY CHECK (id = 1),
  last_seq bigint  NOT NULL
);
INSERT INTO dispatch.notify_state (id, last_seq)
SELECT 1, s.last_seq FROM dispatch.relay_state s WHERE s.id = 1;

-- Turns the published events after the cursor (at most p_limit, NULL → 1000,
-- clamped to 1..10000) into notification rows and moves the cursor past them:
-- * webhooks: one row per webhook subscribed to the event's type that existed
--   when the event was published;
-- * e-mail, when p_email: the order's contact.email hears of order.created
--   ("created"), order.assigned ("assigned") and of order.updated reaching
--   picked_up, delivered, cancelled or failed (once per order and status).
-- Returns how many events it planned: 0 when nothing was new, or when another
-- instance holds the planner's lock (it is doing the same work).
CREATE FUNCTION dispatch.notify_plan(p_email boolean, p_limit integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_from bigint;
  v_to bigint;
BEGIN
  -- 7144650020: the planner's lock (7144650001: the relay's)
  IF NOT pg_try_advisory_xact_lock(7144650020) THEN
    RETURN 0;
  END IF;
  SELECT s.last_seq INTO v_from FROM dispatch.notify_state s WHERE s.id = 1 FOR UPDATE;
  SELECT max(x.seq) INTO v_to
  FROM (SELECT q.seq FROM dispatch.outbox_seq q WHERE q.seq > v_from ORDER BY q.seq
        LIMIT least(greatest(coalesce(p_limit, 1000), 1), 10000)) x;
  IF v_to IS NULL THEN
    RETURN 0;
  END IF;

  INSERT INTO dispatch.notifications (outbox_id, event_id, event_type, order_id, channel,
                                      target, webhook_id)
  SELECT e.id, e.event_id, e.type, e.order_id, 'webhook', w.url, w.id
  FROM dispatch.outbox_seq s
  JOIN dispatch.outbox e ON e.id = s.outbox_id
  JOIN dispatch.webhooks w ON e.type = ANY (w.events) AND w.created_at <= s.published_at
  WHERE s.seq > v_from AND s.seq <= v_to
  ORDER BY s.seq
  ON CONFLICT DO NOTHING;

  IF p_email THEN
    INSERT INTO dispatch.notifications (outbox_id, event_id, event_type, order_id, channel,
                                        target, template)
    SELECT e.id, e.event_id, e.type, e.order_id, 'email', e.data -> 'contact' ->> 'email',
           m.template
    FROM dispatch.outbox_seq s
    JOIN dispatch.outbox e ON e.id = s.outbox_id
    CROSS JOIN LATERAL (SELECT CASE
        WHEN e.type = 'order.created' THEN 'created'
        WHEN e.type = 'order.assigned' THEN 'assigned'
        WHEN e.type = 'order.updated'
             AND e.data ->> 'status' IN ('picked_up', 'delivered', 'cancelled', 'failed')
          THEN e.data ->> 'status'
      END AS template) m
    WHERE s.seq > v_from AND s.seq <= v_to
      AND m.template IS NOT NULL
      AND e.order_id IS NOT NULL
      AND nullif(e.data -> 'contact' ->> 'email', '') IS NOT NULL
    ORDER BY s.seq
    ON CONFLICT DO NOTHING;
  END IF;

  UPDATE dispatch.notify_state s SET last_seq = v_to WHERE s.id = 1;
  RETURN v_to - v_from;
END
$$;

-- Claims at most p_limit (NULL → 100, clamped to 1..1000) due notifications of
-- the channels named in p_leases ({"email": seconds, "webhook": seconds}),
-- oldest first, skipping rows another worker holds; counts the attempt and
-- leases each row for its channel's seconds (more than the send may take).
-- Returns what a worker needs to send: the envelope is exactly the bytes the
-- relay published (NULL if the event is gone), secret is the webhook's (NULL
-- if it was deleted meanwhile).
CREATE FUNCTION dispatch.notify_claim(p_leases jsonb, p_limit integer)
RETURNS TABLE (id uuid, channel text, target text, template text, attempts integer,
               event_id uuid, event_type text, envelope text, secret text)
LANGUAGE sql AS $$
  WITH due AS (
    SELECT n.id
    FROM dispatch.notifications n
    WHERE n.status = 'pending' AND n.next_attempt_at <= now() AND p_leases ? n.channel
    ORDER BY n.next_attempt_at, n.outbox_id
    LIMIT least(greatest(coalesce(p_limit, 100), 1), 1000)
    FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE dispatch.notifications n
    SET attempts = n.attempts + 1,
        next_attempt_at = now() + make_interval(secs => (p_leases ->> n.channel)::double precision),
        updated_at = now()
    FROM due
    WHERE n.id = due.id
    RETURNING n.*
  )
  SELECT c.id, c.channel, c.target, c.template, c.attempts, c.event_id, c.event_type,
         dispatch.envelope_json(e, s.seq)::text, w.secret
  FROM claimed c
  LEFT JOIN dispatch.outbox e ON e.id = c.outbox_id
  LEFT JOIN dispatch.outbox_seq s ON s.outbox_id = c.outbox_id
  LEFT JOIN dispatch.webhooks w ON w.id = c.webhook_id
  ORDER BY c.next_attempt_at, c.outbox_id
$$;

-- Records how attempt p_attempt of notification p_id ended: p_error NULL is
-- success. A failure is retried after p_retry_base_s · 2^(attempt − 1)
-- seconds plus 0–20 % jitter until p_max_attempts attempts were made, or never
-- when p_permanent; then the row is dead. A redelivered dead letter gets one
-- attempt and is dead again if it fails. Returns 'sent', 'retry', 'dead', or
-- 'stale' when the row is no longer this attempt's to settle (sent already,
-- dropped, or claimed again after the lease ran out).
CREATE FUNCTION dispatch.notify_record(p_id uuid, p_attempt integer, p_error text,
                                       p_permanent boolean, p_retry_base_s integer,
                                       p_max_attempts integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v dispatch.notifications;
BEGIN
  SELECT * INTO v FROM dispatch.notifications n WHERE n.id = p_id FOR UPDATE;
  IF NOT FOUND OR v.status <> 'pending' THEN
    RETURN 'stale';
  END IF;

  IF p_error IS NULL THEN
    UPDATE dispatch.notifications n
    SET status = 'sent', sent_at = now(), updated_at = now()
    WHERE n.id = p_id;
    RETURN 'sent';
  END IF;

  IF v.attempts <> p_attempt THEN
    RETURN 'stale';
  END IF;

  IF p_permanent OR v.attempts >= p_max_attempts OR v.dead_at IS NOT NULL THEN
    UPDATE dispatch.notifications n
    SET status = 'dead', dead_at = coalesce(n.dead_at, now()), last_error = p_error,
        updated_at = now()
    WHERE n.id = p_id;
    RETURN 'dead';
  END IF;

  UPDATE dispatch.notifications n
  SET last_error = p_error, updated_at = now(),
      next_attempt_at = now() + make_interval(secs =>
        greatest(p_retry_base_s, 0) * power(2, least(v.attempts - 1, 20)) * (1 + random() * 0.2))
  WHERE n.id = p_id;
  RETURN 'retry';
END
$$;
