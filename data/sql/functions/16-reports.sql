-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Reports (docs/reports.md): what the figures need that the orders do not
-- keep themselves, the first promised delivery time (orders.promised_at) and
-- the drivers' online sessions (driver_sessions), both kept by the triggers
-- below in the transaction of the change they record; the orders export
-- (GET /api/v1/reports/orders). The figures: 20-report-summary.sql.

-- promised_at: the first ETA an order gets, as a time (now() + eta_seconds).
CREATE OR REPLACE FUNCTION dispatch.report_keep_promise()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.promised_at := now() + make_interval(secs => NEW.eta_seconds);
  RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER orders_keep_promise
  BEFORE INSERT OR UPDATE OF eta_seconds ON dispatch.orders
  FOR EACH ROW WHEN (NEW.eta_seconds IS NOT NULL AND NEW.promised_at IS NULL)
  EXECUTE FUNCTION dispatch.report_keep_promise();

-- driver_sessions: a session opens when a driver goes online, closes when it
-- goes offline.
CREATE OR REPLACE FUNCTION dispatch.report_keep_session()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.online THEN
    INSERT INTO dispatch.driver_sessions (driver_id, online_from) VALUES (NEW.id, now())
    ON CONFLICT (driver_id, online_from) DO UPDATE SET online_until = NULL;
  ELSE
    UPDATE dispatch.driver_sessions SET online_until = now()
    WHERE driver_id = NEW.id AND online_until IS NULL;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER drivers_keep_session_update
  AFTER UPDATE OF online ON dispatch.drivers
  FOR EACH ROW WHEN (OLD.online IS DISTINCT FROM NEW.online)
  EXECUTE FUNCTION dispatch.report_keep_session();

CREATE OR REPLACE TRIGGER drivers_keep_session_insert
  AFTER INSERT ON dispatch.drivers
  FOR EACH ROW WHEN (NEW.online)
  EXECUTE FUNCTION dispatch.report_keep_session();

-- A page of the orders created in [p_from, p_to), oldest first, after the
-- key p_after ("<created_at> <id>" of the previous page's last row; NULL:
-- from the first), at most p_limit, the key last.
DROP FUNCTION IF EXISTS dispatch.report_orders_page(timestamptz, timestamptz, text, integer);
CREATE OR REPLACE FUNCTION dispatch.report_orders_page(p_actor jsonb, p_from timestamptz,
                                                       p_to timestamptz, p_after text,
                                                       p_limit integer)
RETURNS TABLE (id uuid, created_at text, status text, status_reason text, customer_id text,
               driver_id uuid, priority smallint, pickup_address text, dropoff_address text,
               assigned_at text, picked_up_at text, closed_at text, promised_at text,
               key text)
LANGUAGE sql STABLE AS $$
  SELECT o.id, dispatch.ts_json(o.created_at), o.status, o.status_reason, o.customer_id,
         o.driver_id, o.priority, o.pickup_address, o.dropoff_address,
         dispatch.ts_json(o.assigned_at), dispatch.ts_json(o.picked_up_at),
         dispatch.ts_json(o.closed_at), dispatch.ts_json(o.promised_at),
         dispatch.ts_json(o.created_at) || ' ' || o.id
  FROM dispatch.orders o
  WHERE o.created_at >= p_from AND o.created_at < p_to
    AND dispatch.order_visible(p_actor, o)
    AND (p_after IS NULL
         OR (o.created_at, o.id) > (split_part(p_after, ' ', 1)::timestamptz,
                                    split_part(p_after, ' ', 2)::uuid))
  ORDER BY o.created_at, o.id
  LIMIT p_limit
$$;
