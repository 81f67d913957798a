-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Notifications (server/notify/): planning published events into notification
-- rows, claiming due rows under a lease, recording each attempt (see migration
-- 0020-notifications.sql for the model).

-- Turns the published events after the cursor (at most p_limit, NULL → 1000,
-- clamped to 1..10000) into notification rows and moves the cursor past them:
-- * webhooks: one row per webhook subscribed to the event's type that existed
--   when the event was published;
-- * e-mail, when p_email: the order's contact.email hears of order.created
--   ("created"), order.assigned ("assigned"), order.arriving at the dropoff
--   ("arriving") and of order.updated reaching picked_up, delivered,
--   cancelled or failed (once per order and status).
-- Returns how many events it planned: 0 when nothing was new, or when another
-- instance holds the planner's lock (it is doing the same work).
CREATE OR REPLACE FUNCTION dispatch.notify_plan(p_email boolean, p_limit integer)
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
        WHEN e.type = 'order.arriving' AND e.data #>> '{arrival,stop}' = 'dropoff'
          THEN 'arriving'
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
-- if it was deleted meanwhile). PL/pgSQL, not SQL: a volatile SQL function
-- is not inlined, so it was parsed and planned at every call (the notifier
-- claims after every batch of events: 1.2 ms each in bench-orders.sh).
CREATE OR REPLACE FUNCTION dispatch.notify_claim(p_leases jsonb, p_limit integer)
RETURNS TABLE (id uuid, channel text, target text, template text, attempts integer,
               event_id uuid, event_type text, envelope text, secret text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
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
  ORDER BY c.next_attempt_at, c.outbox_id;
END
$$;

-- Records how attempt p_attempt of notification p_id ended: p_error NULL is
-- success. A failure is retried after p_retry_base_s · 2^(attempt − 1)
-- seconds plus 0–20 % jitter until p_max_attempts attempts were made, or never
-- when p_permanent; then the row is dead. A redelivered dead letter gets one
-- attempt and is dead again if it fails. Returns 'sent', 'retry', 'dead', or
-- 'stale' when the row is no longer this attempt's to settle (sent already,
-- dropped, or claimed again after the lease ran out).
CREATE OR REPLACE FUNCTION dispatch.notify_record(p_id uuid, p_attempt integer, p_error text,
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
