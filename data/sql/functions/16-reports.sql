-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Reports (GET /api/v1/reports/orders, docs/reports.md): figures of a period
-- by hour, by day or by driver, from the orders' own timestamps
-- (created_at, assigned_at, picked_up_at, closed_at), the first promised
-- delivery time (orders.promised_at) and the drivers' online sessions
-- (driver_sessions), both kept by the triggers below in the transaction of
-- the change they record.

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

-- The key of report rows that have no driver (the nil UUID): the rows' keys
-- are never NULL, so that they join by equality.
CREATE OR REPLACE FUNCTION dispatch.report_no_driver()
RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '00000000-0000-0000-0000-000000000000'::uuid
$$;

-- The rows of a report over [p_from, p_to) grouped by p_group ('hour', 'day':
-- one row per UTC hour / day from the one holding p_from, empty ones
-- included; 'driver': one row per driver with orders or time online, and
-- one with driver_id NULL for the orders never assigned).
--
-- Order figures count the orders created in the row's period (or assigned
-- last to the row's driver): created, delivered, failed, cancelled; on_time:
-- delivered no later than promised_at, out of promised (delivered orders
-- that had an ETA); time to assign (created → last assigned), pickup wait
-- (assigned → picked up), delivery time (picked up → delivered) and ETA
-- error (delivered − promised, positive when late), p50 and p90 in seconds.
-- Driver time, in hours: online is the part of the row's period spent
-- online (sessions, until now() for those still open); busy is the time the
-- row's orders were held by their driver (last assigned → closed, or now()),
-- counted with the orders, so an order held across a bucket's end counts in
-- the bucket it was created in, and a driver carrying two orders at once is
-- busy twice (utilisation = busy / online can pass 1). One scan of the
-- period's orders gives every order figure: a year of 1,000,000 orders must
-- fit the pool's statement deadline (bench/bench-reports.sh).
CREATE OR REPLACE FUNCTION dispatch.report_rows(p_from timestamptz, p_to timestamptz,
                                                p_group text)
RETURNS TABLE (bucket timestamptz, driver_id uuid, driver_name text,
               created bigint, delivered bigint, failed bigint, cancelled bigint,
               on_time bigint, promised bigint, on_time_rate double precision,
               assign_p50_s double precision, assign_p90_s double precision,
               pickup_wait_p50_s double precision, pickup_wait_p90_s double precision,
               delivery_p50_s double precision, delivery_p90_s double precision,
               eta_error_p50_s double precision, eta_error_p90_s double precision,
               online_hours double precision, busy_hours double precision,
               utilisation double precision)
LANGUAGE sql STABLE SET TimeZone = 'UTC' SET jit = off AS $$
  WITH
  step AS (
    SELECT CASE p_group WHEN 'hour' THEN 'hour' ELSE 'day' END AS unit,
           CASE p_group WHEN 'hour' THEN interval '1 hour' ELSE interval '1 day' END AS len,
           p_group = 'driver' AS by_driver),
  orders AS (
    SELECT CASE WHEN s.by_driver THEN '-infinity' ELSE date_trunc(s.unit, o.created_at) END
             AS bucket,
           CASE WHEN s.by_driver THEN coalesce(o.driver_id, dispatch.report_no_driver())
                ELSE dispatch.report_no_driver() END AS driver_id,
           o.driver_id AS assigned_to, o.status, o.created_at, o.assigned_at, o.picked_up_at,
           o.closed_at, o.promised_at
    FROM dispatch.orders o, step s
    WHERE o.created_at >= p_from AND o.created_at < p_to),
  order_figures AS (
    SELECT o.bucket, o.driver_id,
           count(*) AS created,
           count(*) FILTER (WHERE o.status = 'delivered') AS delivered,
           count(*) FILTER (WHERE o.status = 'failed') AS failed,
           count(*) FILTER (WHERE o.status = 'cancelled') AS cancelled,
           count(*) FILTER (WHERE o.status = 'delivered' AND o.closed_at <= o.promised_at)
             AS on_time,
           count(*) FILTER (WHERE o.status = 'delivered' AND o.promised_at IS NOT NULL)
             AS promised,
           sum(date_part('epoch', coalesce(o.closed_at, now()) - o.assigned_at))
             FILTER (WHERE o.assigned_to IS NOT NULL AND o.assigned_at IS NOT NULL) / 3600.0
             AS busy_hours,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
             ORDER BY date_part('epoch', o.assigned_at - o.created_at)) AS assign,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
             ORDER BY date_part('epoch', o.picked_up_at - o.assigned_at)) AS pickup_wait,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
             ORDER BY date_part('epoch', o.closed_at - o.picked_up_at))
             FILTER (WHERE o.status = 'delivered') AS delivery,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
             ORDER BY date_part('epoch', o.closed_at - o.promised_at))
             FILTER (WHERE o.status = 'delivered') AS eta_error
    FROM orders o
    GROUP BY o.bucket, o.driver_id),
  spans AS (
    SELECT x.driver_id, greatest(x.online_from, p_from) AS a,
           least(coalesce(x.online_until, now()), p_to) AS b
    FROM dispatch.driver_sessions x
    WHERE x.online_from < p_to AND coalesce(x.online_until, now()) > p_from),
  pieces AS (
    SELECT x.driver_id, x.a, x.b, date_trunc(s.unit, x.a) AS first_bucket,
           date_trunc(s.unit, x.b - interval '1 microsecond') AS last_bucket
    FROM spans x, step s
    WHERE x.b > x.a),
  -- A session within one row's period counts whole; only those that cross
  -- a bucket's end are cut.
  time_figures AS (
    SELECT t.bucket, t.driver_id,
           sum(t.seconds) / 3600.0 AS online_hours
    FROM (SELECT CASE WHEN s.by_driver THEN '-infinity' ELSE p.first_bucket END AS bucket,
                 CASE WHEN s.by_driver THEN p.driver_id ELSE dispatch.report_no_driver() END
                   AS driver_id,
                 extract(epoch FROM p.b - p.a) AS seconds
          FROM pieces p, step s
          WHERE s.by_driver OR p.first_bucket = p.last_bucket
          UNION ALL
          SELECT g, dispatch.report_no_driver(),
                 extract(epoch FROM least(p.b, g + s.len) - greatest(p.a, g))
          FROM pieces p, step s,
               LATERAL generate_series(p.first_bucket, p.last_bucket, s.len) g
          WHERE NOT s.by_driver AND p.first_bucket <> p.last_bucket) t
    GROUP BY t.bucket, t.driver_id),
  keys AS (
    SELECT g AS bucket, dispatch.report_no_driver() AS driver_id
    FROM step s, generate_series(date_trunc(s.unit, p_from), p_to - interval '1 microsecond',
                                 s.len) g
    WHERE NOT s.by_driver
    UNION ALL
    SELECT '-infinity', k.driver_id
    FROM (SELECT f.driver_id FROM order_figures f UNION SELECT t.driver_id FROM time_figures t) k,
         step s
    WHERE s.by_driver)
  SELECT nullif(k.bucket, '-infinity'), nullif(k.driver_id, dispatch.report_no_driver()),
         d.name,
         coalesce(f.created, 0), coalesce(f.delivered, 0), coalesce(f.failed, 0),
         coalesce(f.cancelled, 0), coalesce(f.on_time, 0), coalesce(f.promised, 0),
         f.on_time::double precision / nullif(f.promised, 0),
         f.assign[1], f.assign[2], f.pickup_wait[1], f.pickup_wait[2],
         f.delivery[1], f.delivery[2], f.eta_error[1], f.eta_error[2],
         coalesce(t.online_hours, 0), coalesce(f.busy_hours, 0),
         f.busy_hours / nullif(t.online_hours, 0)
  FROM keys k
  LEFT JOIN order_figures f ON f.bucket = k.bucket AND f.driver_id = k.driver_id
  LEFT JOIN time_figures t ON t.bucket = k.bucket AND t.driver_id = k.driver_id
  LEFT JOIN dispatch.drivers d ON d.id = k.driver_id
  ORDER BY k.bucket, d.name, k.driver_id
$$;

-- A page of a report, for streaming it: by hour or day, the rows of at most
-- p_limit buckets from the one after bucket p_after (the RFC 3339 start of
-- the previous page's last; NULL: from the first), each page a report of
-- its own stretch of the period (the same rows: buckets do not straddle
-- pages), so that no query scans more than p_limit buckets' orders; by
-- driver, every row on the first page. The key (row_key) comes last.
CREATE OR REPLACE FUNCTION dispatch.report_page(p_from timestamptz, p_to timestamptz,
                                                p_group text, p_after text, p_limit integer)
RETURNS TABLE (bucket text, driver_id uuid, driver_name text,
               created bigint, delivered bigint, failed bigint, cancelled bigint,
               on_time bigint, promised bigint, on_time_rate double precision,
               assign_p50_s double precision, assign_p90_s double precision,
               pickup_wait_p50_s double precision, pickup_wait_p90_s double precision,
               delivery_p50_s double precision, delivery_p90_s double precision,
               eta_error_p50_s double precision, eta_error_p90_s double precision,
               online_hours double precision, busy_hours double precision,
               utilisation double precision, row_key text)
LANGUAGE plpgsql STABLE SET TimeZone = 'UTC' AS $$
DECLARE
  v_len interval := CASE p_group WHEN 'hour' THEN interval '1 hour' ELSE interval '1 day' END;
  v_start timestamptz := p_from;
  v_end timestamptz := p_to;
BEGIN
  IF p_group = 'driver' THEN
    IF p_after IS NOT NULL THEN
      RETURN;
    END IF;
  ELSE
    IF p_after IS NOT NULL THEN
      v_start := p_after::timestamptz + v_len;
    END IF;
    v_end := least(p_to, date_trunc(CASE p_group WHEN 'hour' THEN 'hour' ELSE 'day' END,
                                    v_start) + p_limit * v_len);
    IF v_start >= p_to THEN
      RETURN;
    END IF;
  END IF;
  RETURN QUERY
    SELECT dispatch.ts_json(r.bucket), r.driver_id, r.driver_name, r.created, r.delivered,
           r.failed, r.cancelled, r.on_time, r.promised, r.on_time_rate, r.assign_p50_s,
           r.assign_p90_s, r.pickup_wait_p50_s, r.pickup_wait_p90_s, r.delivery_p50_s,
           r.delivery_p90_s, r.eta_error_p50_s, r.eta_error_p90_s, r.online_hours,
           r.busy_hours, r.utilisation, coalesce(dispatch.ts_json(r.bucket), 'drivers')
    FROM dispatch.report_rows(v_start, v_end, p_group) r;
END
$$;

-- The same page with each row as a JSON object (the members of
-- report_page but row_key), for the JSON answer.
CREATE OR REPLACE FUNCTION dispatch.report_json_page(p_from timestamptz, p_to timestamptz,
                                                     p_group text, p_after text,
                                                     p_limit integer)
RETURNS TABLE (row_json text, row_key text)
LANGUAGE sql STABLE AS $$
  SELECT (to_jsonb(r) - 'row_key')::text, r.row_key
  FROM dispatch.report_page(p_from, p_to, p_group, p_after, p_limit) r
$$;

-- A page of the orders created in [p_from, p_to), oldest first, after the
-- key p_after ("<created_at> <id>" of the previous page's last row; NULL:
-- from the first), at most p_limit, the key last.
CREATE OR REPLACE FUNCTION dispatch.report_orders_page(p_from timestamptz, p_to timestamptz,
                                                       p_after text, p_limit integer)
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
    AND (p_after IS NULL
         OR (o.created_at, o.id) > (split_part(p_after, ' ', 1)::timestamptz,
                                    split_part(p_after, ' ', 2)::uuid))
  ORDER BY o.created_at, o.id
  LIMIT p_limit
$$;
