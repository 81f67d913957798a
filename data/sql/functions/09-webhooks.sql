-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- The webhooks API (admin only): subscriptions and their dead letters. The C
-- side validates the URL (scheme, resolved addresses), the event types and
-- the secret (generating one when none is sent) before calling these.

-- {"id","url","events","created_at"}: never the secret.
CREATE OR REPLACE FUNCTION dispatch.webhook_json(w dispatch.webhooks)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', w.id, 'url', w.url, 'events', to_jsonb(w.events),
                            'created_at', dispatch.ts_json(w.created_at))
$$;

-- A dead letter: {"id","event_id","event_type","attempts","last_error","created_at"},
-- created_at being when the delivery first went dead.
CREATE OR REPLACE FUNCTION dispatch.dead_letter_json(n dispatch.notifications)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', n.id, 'event_id', n.event_id, 'event_type', n.event_type,
                            'attempts', n.attempts, 'last_error', n.last_error,
                            'created_at', dispatch.ts_json(n.dead_at))
$$;

-- The webhook p_id (text from the path), or not_found.
CREATE OR REPLACE FUNCTION dispatch.webhook_find(p_id text)
RETURNS dispatch.webhooks LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_w dispatch.webhooks;
BEGIN
  SELECT * INTO v_w FROM dispatch.webhooks w WHERE w.id = dispatch.to_uuid(p_id);
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'webhook not found');
  END IF;
  RETURN v_w;
END
$$;

-- POST /webhooks: p_events a JSON array of known, distinct event types.
-- Returns the webhook with its secret (the only time it is shown).
CREATE OR REPLACE FUNCTION dispatch.webhook_create(p_actor jsonb, p_url text, p_events jsonb,
                                                   p_secret text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_w dispatch.webhooks;
BEGIN
  INSERT INTO dispatch.webhooks (url, events, secret)
  VALUES (p_url, ARRAY(SELECT jsonb_array_elements_text(p_events)), p_secret)
  RETURNING * INTO v_w;
  RETURN dispatch.webhook_json(v_w) || jsonb_build_object('secret', v_w.secret);
END
$$;

-- GET /webhooks: {"webhooks":[…],"next"}, oldest first.
CREATE OR REPLACE FUNCTION dispatch.webhook_list(p_actor jsonb, p_limit integer, p_cursor text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_after dispatch.page_key := dispatch.page_after(p_cursor, 'webhooks');
BEGIN
  RETURN dispatch.page_json('webhooks', p_limit, ARRAY(
    SELECT ROW(w.created_at, w.id, dispatch.webhook_json(w))::dispatch.page_row
    FROM dispatch.webhooks w
    WHERE v_after.t IS NULL OR (w.created_at, w.id) > (v_after.t, v_after.i)
    ORDER BY w.created_at, w.id
    LIMIT p_limit + 1));
END
$$;

-- GET /webhooks/{id}
CREATE OR REPLACE FUNCTION dispatch.webhook_get(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  RETURN dispatch.webhook_json(dispatch.webhook_find(p_id));
END
$$;

-- DELETE /webhooks/{id}: its pending deliveries and dead letters are dropped
-- (their records stay, with status "dropped"). Returns {}.
CREATE OR REPLACE FUNCTION dispatch.webhook_delete(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_w dispatch.webhooks;
BEGIN
  DELETE FROM dispatch.webhooks w WHERE w.id = dispatch.to_uuid(p_id) RETURNING * INTO v_w;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'webhook not found');
  END IF;
  UPDATE dispatch.notifications n
  SET status = 'dropped', updated_at = now()
  WHERE n.webhook_id = v_w.id AND n.status IN ('pending', 'dead');
  RETURN '{}'::jsonb;
END
$$;

-- GET /webhooks/{id}/dead-letters: {"dead_letters":[…],"next"}, oldest first.
-- A dead letter whose redelivery is pending is not listed until it fails again.
CREATE OR REPLACE FUNCTION dispatch.webhook_dead_letters(p_actor jsonb, p_id text, p_limit integer,
                                                         p_cursor text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_after dispatch.page_key := dispatch.page_after(p_cursor, 'dead_letters');
  v_w dispatch.webhooks;
BEGIN
  v_w := dispatch.webhook_find(p_id);
  RETURN dispatch.page_json('dead_letters', p_limit, ARRAY(
    SELECT ROW(n.dead_at, n.id, dispatch.dead_letter_json(n))::dispatch.page_row
    FROM dispatch.notifications n
    WHERE n.webhook_id = v_w.id AND n.status = 'dead'
      AND (v_after.t IS NULL OR (n.dead_at, n.id) > (v_after.t, v_after.i))
    ORDER BY n.dead_at, n.id
    LIMIT p_limit + 1));
END
$$;

-- POST /webhooks/{id}/dead-letters/{dead_letter_id}/retry: queues one more
-- attempt now (dispatch.notify_record settles it: sent, or dead again).
-- Asking again while that attempt is queued changes nothing. Returns the
-- dead letter.
CREATE OR REPLACE FUNCTION dispatch.webhook_dead_letter_retry(p_actor jsonb, p_id text,
                                                              p_dead_letter_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_w dispatch.webhooks;
  v_n dispatch.notifications;
BEGIN
  v_w := dispatch.webhook_find(p_id);
  SELECT * INTO v_n FROM dispatch.notifications n
  WHERE n.id = dispatch.to_uuid(p_dead_letter_id) AND n.webhook_id = v_w.id
    AND n.dead_at IS NOT NULL AND n.status IN ('dead', 'pending')
  FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'dead letter not found');
  END IF;
  IF v_n.status = 'dead' THEN
    UPDATE dispatch.notifications n
    SET status = 'pending', next_attempt_at = now(), updated_at = now()
    WHERE n.id = v_n.id;
  END IF;
  RETURN dispatch.dead_letter_json(v_n);
END
$$;
