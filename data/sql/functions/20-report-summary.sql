-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Reports (GET /api/v1/reports/figures, docs/reports.md) from the summary of
-- migration 0240-report-summary.sql: the figures of the orders that ended are
-- added to their creation hour's and day's rows by the triggers below, in the
-- transaction that ends them; the drivers' time online and busy when a
-- session closes or an order ends. A report reads the summary rows of its
-- period and only the rows still open (orders not ended, sessions still
-- online, orders still held) from the tables themselves.
--
-- Durations are kept as histograms whose buckets are exact to the second
-- below 32 s and 1/16 of an octave wide above (so a bucket's middle is
-- within 1/32, 3.2 %, of any value in it); merged histograms give the same
-- buckets as one built from the raw values, so a p50/p90 is the
-- percentile_cont of the raw values up to the width of the buckets that hold
-- its two neighbouring ranks.

DROP FUNCTION IF EXISTS dispatch.report_json_page(timestamptz, timestamptz, text, text, integer);
DROP FUNCTION IF EXISTS dispatch.report_page(timestamptz, timestamptz, text, text, integer);
DROP FUNCTION IF EXISTS dispatch.report_rows(timestamptz, timestamptz, text);
DROP FUNCTION IF EXISTS dispatch.report_no_driver();

-- The key of summary rows without a zone or driver (the nil uuid): keys are
-- never NULL, so that they join by equality.
CREATE OR REPLACE FUNCTION dispatch.report_no_key()
RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '00000000-0000-0000-0000-000000000000'::uuid
$$;

-- The histogram bucket of a duration of p_s seconds (negative: early, for
-- ETA errors): |p_s| in whole seconds v (at most 2^31 − 1), bucket v below
-- 32; above, 16 buckets per power of two, 32 + 16 (e − 5) + the 4 bits
-- after v's leading one, with e = floor(log2 v) (the 1e-12 keeps exact
-- powers of two from rounding down; v < 2^31 is never within it of the
-- next power); negative durations get the negated bucket. One expression,
-- so that the planner inlines it (a call per order of a rebuild).
CREATE OR REPLACE FUNCTION dispatch.report_hist_bucket(p_s double precision)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (sign(p_s) * CASE WHEN abs(p_s) < 32 THEN floor(abs(p_s))
    ELSE 16 + 16 * (floor(ln(least(abs(p_s), 2147483647)) / ln(2) + 1e-12) - 5)
         + (least(floor(abs(p_s)), 2147483647)::bigint
            >> (floor(ln(least(abs(p_s), 2147483647)) / ln(2) + 1e-12) - 4)::integer) END)::integer
$$;

-- The value a bucket stands for: its whole seconds' middle.
CREATE OR REPLACE FUNCTION dispatch.report_hist_value(p_b integer)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sign(p_b) * CASE WHEN abs(p_b) < 32 THEN abs(p_b)
    ELSE ((16 + (abs(p_b) - 32) % 16)::bigint << ((abs(p_b) - 32) / 16 + 1))
         + ((1::bigint << ((abs(p_b) - 32) / 16 + 1)) - 1) / 2.0 END
$$;

-- p_h with p_n more in bucket p_b (NULL: p_h).
CREATE OR REPLACE FUNCTION dispatch.report_hist_add(p_h integer[], p_b integer, p_n integer)
RETURNS integer[] LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_b IS NOT NULL AND p_n <> 0 THEN
    p_h[p_b] := coalesce(p_h[p_b], 0) + p_n;
  END IF;
  RETURN p_h;
END
$$;

-- p_a with the counts of p_b added.
CREATE OR REPLACE FUNCTION dispatch.report_hist_merge(p_a integer[], p_b integer[])
RETURNS integer[] LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF cardinality(p_a) = 0 THEN
    RETURN p_b;
  END IF;
  IF cardinality(p_b) > 0 THEN
    FOR i IN array_lower(p_b, 1) .. array_upper(p_b, 1) LOOP
      IF p_b[i] IS NOT NULL AND p_b[i] <> 0 THEN
        p_a[i] := coalesce(p_a[i], 0) + p_b[i];
      END IF;
    END LOOP;
  END IF;
  RETURN p_a;
END
$$;

-- The sum of histograms.
CREATE OR REPLACE AGGREGATE dispatch.report_hist_sum(integer[]) (
  SFUNC = dispatch.report_hist_merge,
  STYPE = integer[],
  INITCOND = '{}'
);

-- {p50, p90} of the durations counted in p_h as percentile_cont gives them
-- (interpolated between the two neighbouring ranks, 0-based), each duration
-- taken as its bucket's value; NULL for an empty histogram.
CREATE OR REPLACE FUNCTION dispatch.report_hist_quantiles(p_h integer[])
RETURNS double precision[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_q double precision[] := ARRAY[0.5, 0.9];
  v_out double precision[] := ARRAY[NULL, NULL];
  v_last bigint := 0;
  v_seen bigint := 0;
  v_rank double precision;
  v_lo double precision[] := ARRAY[NULL, NULL];
  v_hi double precision[] := ARRAY[NULL, NULL];
  v_n integer;
BEGIN
  IF cardinality(p_h) = 0 THEN
    RETURN NULL;
  END IF;
  v_last := -1;
  FOREACH v_n IN ARRAY p_h LOOP
    v_last := v_last + greatest(coalesce(v_n, 0), 0);
  END LOOP;
  IF v_last < 0 THEN
    RETURN NULL;
  END IF;
  FOR i IN array_lower(p_h, 1) .. array_upper(p_h, 1) LOOP
    CONTINUE WHEN p_h[i] IS NULL OR p_h[i] <= 0;
    v_seen := v_seen + p_h[i];
    FOR j IN 1 .. 2 LOOP
      v_rank := v_last * v_q[j];
      IF v_lo[j] IS NULL AND floor(v_rank) < v_seen THEN
        v_lo[j] := dispatch.report_hist_value(i);
      END IF;
      IF v_hi[j] IS NULL AND ceil(v_rank) < v_seen THEN
        v_hi[j] := dispatch.report_hist_value(i);
      END IF;
    END LOOP;
    EXIT WHEN v_hi[2] IS NOT NULL;
  END LOOP;
  FOR j IN 1 .. 2 LOOP
    v_rank := v_last * v_q[j];
    v_out[j] := v_lo[j] + (v_rank - floor(v_rank)) * (v_hi[j] - v_lo[j]);
  END LOOP;
  RETURN v_out;
END
$$;

-- The histogram of (bucket, count) pairs.
CREATE OR REPLACE AGGREGATE dispatch.report_hist_agg(integer, integer) (
  SFUNC = dispatch.report_hist_add,
  STYPE = integer[],
  INITCOND = '{}'
);

-- What one order adds to its rows: created (1), its end, on time (delivered
-- no later than deliver_before where the order has a window, else than the
-- first promised ETA) out of promised (delivered with either), and the
-- buckets of its time to assign (created → last assigned), pickup wait
-- (assigned → picked up), delivery time (picked up → delivered) and ETA
-- error (delivered − first promised ETA, positive when late).
CREATE OR REPLACE FUNCTION dispatch.report_order_figures(o dispatch.orders)
RETURNS TABLE (created integer, delivered integer, failed integer, cancelled integer,
               on_time integer, promised integer, assign_b integer, pickup_b integer,
               delivery_b integer, eta_b integer)
LANGUAGE sql IMMUTABLE AS $$
  SELECT 1, (o.status = 'delivered')::integer, (o.status = 'failed')::integer,
         (o.status = 'cancelled')::integer,
         coalesce(o.status = 'delivered'
                  AND o.closed_at <= coalesce(o.deliver_before, o.promised_at), false)::integer,
         (o.status = 'delivered'
          AND coalesce(o.deliver_before, o.promised_at) IS NOT NULL)::integer,
         dispatch.report_hist_bucket(date_part('epoch', o.assigned_at - o.created_at)),
         dispatch.report_hist_bucket(date_part('epoch', o.picked_up_at - o.assigned_at)),
         CASE WHEN o.status = 'delivered' THEN
           dispatch.report_hist_bucket(date_part('epoch', o.closed_at - o.picked_up_at)) END,
         CASE WHEN o.status = 'delivered' THEN
           dispatch.report_hist_bucket(date_part('epoch', o.closed_at - o.promised_at)) END
$$;

-- Adds (p_sign 1) or takes away (-1) order o's figures to or from the rows of
-- its creation hour and day, of its zone and of its driver.
CREATE OR REPLACE FUNCTION dispatch.report_summary_add(o dispatch.orders, p_sign integer)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO dispatch.report_summary AS s (unit, start_at, dim, key, created, delivered, failed,
                                            cancelled, on_time, promised, assign_hist,
                                            pickup_hist, delivery_hist, eta_hist)
  SELECT u.unit, date_trunc(u.unit, o.created_at, 'UTC'), k.dim, k.key,
         p_sign * f.created, p_sign * f.delivered, p_sign * f.failed, p_sign * f.cancelled,
         p_sign * f.on_time, p_sign * f.promised,
         dispatch.report_hist_add('{}', f.assign_b, p_sign),
         dispatch.report_hist_add('{}', f.pickup_b, p_sign),
         dispatch.report_hist_add('{}', f.delivery_b, p_sign),
         dispatch.report_hist_add('{}', f.eta_b, p_sign)
  FROM dispatch.report_order_figures(o) f,
       (VALUES ('hour'), ('day')) u (unit),
       (VALUES ('z'::"char", coalesce(o.zone_id, dispatch.report_no_key())),
               ('d'::"char", coalesce(o.driver_id, dispatch.report_no_key()))) k (dim, key)
  ON CONFLICT (unit, start_at, dim, key) DO UPDATE
  SET created = s.created + EXCLUDED.created, delivered = s.delivered + EXCLUDED.delivered,
      failed = s.failed + EXCLUDED.failed, cancelled = s.cancelled + EXCLUDED.cancelled,
      on_time = s.on_time + EXCLUDED.on_time, promised = s.promised + EXCLUDED.promised,
      assign_hist = dispatch.report_hist_merge(s.assign_hist, EXCLUDED.assign_hist),
      pickup_hist = dispatch.report_hist_merge(s.pickup_hist, EXCLUDED.pickup_hist),
      delivery_hist = dispatch.report_hist_merge(s.delivery_hist, EXCLUDED.delivery_hist),
      eta_hist = dispatch.report_hist_merge(s.eta_hist, EXCLUDED.eta_hist)
$$;

-- [p_from, p_until) cut at the UTC hours and days it crosses: the start of
-- each hour and day and the seconds of the stretch within it. (In UTC
-- wall-clock time, so that it holds whatever the session's time zone and
-- the planner inlines it.)
CREATE OR REPLACE FUNCTION dispatch.report_time_pieces(p_from timestamptz, p_until timestamptz)
RETURNS TABLE (unit text, start_at timestamptz, seconds double precision)
LANGUAGE sql IMMUTABLE AS $$
  SELECT u.unit, g AT TIME ZONE 'UTC',
         date_part('epoch', least(p_until AT TIME ZONE 'UTC', g + u.len)
                            - greatest(p_from AT TIME ZONE 'UTC', g))
  FROM (VALUES ('hour', interval '1 hour'), ('day', interval '1 day')) u (unit, len),
       generate_series(date_trunc(u.unit, p_from AT TIME ZONE 'UTC'),
                       (p_until AT TIME ZONE 'UTC') - interval '1 microsecond', u.len) g
  WHERE p_until > p_from
$$;

-- Adds (p_sign 1) or takes away (-1) p_driver's time online (p_kind
-- 'online') or busy ('busy') from p_from to p_until.
CREATE OR REPLACE FUNCTION dispatch.report_time_add(p_driver uuid, p_kind text,
                                                    p_from timestamptz, p_until timestamptz,
                                                    p_sign integer)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO dispatch.report_summary AS s (unit, start_at, dim, key, online_s, busy_s)
  SELECT p.unit, p.start_at, 'd', p_driver,
         CASE p_kind WHEN 'online' THEN p_sign * p.seconds ELSE 0 END,
         CASE p_kind WHEN 'busy' THEN p_sign * p.seconds ELSE 0 END
  FROM dispatch.report_time_pieces(p_from, p_until) p
  ON CONFLICT (unit, start_at, dim, key) DO UPDATE
  SET online_s = s.online_s + EXCLUDED.online_s, busy_s = s.busy_s + EXCLUDED.busy_s
$$;

-- p_driver was busy from p_from to p_until (an order that ended): the part
-- not yet in the driver's busy spans is added to its busy time, and the
-- spans it touches are merged into one. One transaction at a time per
-- driver (advisory lock), so two orders ending together are not both counted
-- for the time they share.
CREATE OR REPLACE FUNCTION dispatch.report_busy_add(p_driver uuid, p_from timestamptz,
                                                    p_until timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_have tstzmultirange;
  v_lo timestamptz;
  v_hi timestamptz;
  v_piece tstzrange;
BEGIN
  IF p_driver IS NULL OR p_from IS NULL OR p_until IS NULL OR p_until <= p_from THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(1685287022, hashtext(p_driver::text));
  SELECT range_agg(tstzrange(b.busy_from, b.busy_until)), min(b.busy_from), max(b.busy_until)
  INTO v_have, v_lo, v_hi
  FROM dispatch.driver_busy_spans b
  WHERE b.driver_id = p_driver AND b.busy_until >= p_from AND b.busy_from <= p_until;
  FOR v_piece IN
    SELECT unnest(tstzmultirange(tstzrange(p_from, p_until))
                  - coalesce(v_have, '{}'::tstzmultirange))
  LOOP
    PERFORM dispatch.report_time_add(p_driver, 'busy', lower(v_piece), upper(v_piece), 1);
  END LOOP;
  DELETE FROM dispatch.driver_busy_spans b
  WHERE b.driver_id = p_driver AND b.busy_until >= p_from AND b.busy_from <= p_until;
  INSERT INTO dispatch.driver_busy_spans (driver_id, busy_from, busy_until)
  VALUES (p_driver, least(p_from, v_lo), greatest(p_until, v_hi));
END
$$;

-- An order that is or was ended moves its figures; one that ends adds its
-- busy time (ended orders keep their driver and times).
CREATE OR REPLACE FUNCTION dispatch.report_summary_keep()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.closed_at IS NOT NULL THEN
    PERFORM dispatch.report_summary_add(OLD, -1);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.closed_at IS NOT NULL THEN
    PERFORM dispatch.report_summary_add(NEW, 1);
    IF TG_OP = 'INSERT' OR OLD.closed_at IS NULL THEN
      PERFORM dispatch.report_busy_add(NEW.driver_id, NEW.assigned_at, NEW.closed_at);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER orders_report_summary_insert
  AFTER INSERT ON dispatch.orders
  FOR EACH ROW WHEN (NEW.closed_at IS NOT NULL)
  EXECUTE FUNCTION dispatch.report_summary_keep();

CREATE OR REPLACE TRIGGER orders_report_summary_update
  AFTER UPDATE ON dispatch.orders
  FOR EACH ROW WHEN ((OLD.closed_at IS NOT NULL OR NEW.closed_at IS NOT NULL)
                     AND (OLD.status, OLD.zone_id, OLD.driver_id, OLD.created_at,
                          OLD.assigned_at, OLD.picked_up_at, OLD.closed_at, OLD.promised_at,
                          OLD.deliver_before)
                         IS DISTINCT FROM (NEW.status, NEW.zone_id, NEW.driver_id,
                                           NEW.created_at, NEW.assigned_at, NEW.picked_up_at,
                                           NEW.closed_at, NEW.promised_at, NEW.deliver_before))
  EXECUTE FUNCTION dispatch.report_summary_keep();

CREATE OR REPLACE TRIGGER orders_report_summary_delete
  AFTER DELETE ON dispatch.orders
  FOR EACH ROW WHEN (OLD.closed_at IS NOT NULL)
  EXECUTE FUNCTION dispatch.report_summary_keep();

-- A closed online session moves the driver's online time.
CREATE OR REPLACE FUNCTION dispatch.report_session_summary_keep()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.online_until IS NOT NULL THEN
    PERFORM dispatch.report_time_add(OLD.driver_id, 'online', OLD.online_from,
                                     OLD.online_until, -1);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.online_until IS NOT NULL THEN
    PERFORM dispatch.report_time_add(NEW.driver_id, 'online', NEW.online_from,
                                     NEW.online_until, 1);
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER driver_sessions_summary_insert
  AFTER INSERT ON dispatch.driver_sessions
  FOR EACH ROW WHEN (NEW.online_until IS NOT NULL)
  EXECUTE FUNCTION dispatch.report_session_summary_keep();

CREATE OR REPLACE TRIGGER driver_sessions_summary_update
  AFTER UPDATE ON dispatch.driver_sessions
  FOR EACH ROW WHEN ((OLD.driver_id, OLD.online_from, OLD.online_until)
                     IS DISTINCT FROM (NEW.driver_id, NEW.online_from, NEW.online_until))
  EXECUTE FUNCTION dispatch.report_session_summary_keep();

CREATE OR REPLACE TRIGGER driver_sessions_summary_delete
  AFTER DELETE ON dispatch.driver_sessions
  FOR EACH ROW WHEN (OLD.online_until IS NOT NULL)
  EXECUTE FUNCTION dispatch.report_session_summary_keep();

-- The summary and busy spans made again from the tables, as the triggers
-- would have kept them (migration 0240's backfill; bulk loads).
CREATE OR REPLACE FUNCTION dispatch.report_summary_rebuild()
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE dispatch.report_summary, dispatch.driver_busy_spans;

  INSERT INTO dispatch.report_summary (unit, start_at, dim, key, created, delivered, failed,
                                       cancelled, on_time, promised, assign_hist, pickup_hist,
                                       delivery_hist, eta_hist)
  WITH c AS MATERIALIZED (
    SELECT u.unit, date_trunc(u.unit, o.created_at, 'UTC') AS start_at, k.dim, k.key, f.*
    FROM dispatch.orders o
         CROSS JOIN LATERAL dispatch.report_order_figures(o) f
         CROSS JOIN (VALUES ('hour'), ('day')) u (unit)
         CROSS JOIN LATERAL (VALUES ('z'::"char", coalesce(o.zone_id, dispatch.report_no_key())),
                                    ('d'::"char", coalesce(o.driver_id,
                                                           dispatch.report_no_key()))) k (dim, key)
    WHERE o.closed_at IS NOT NULL),
  sums AS (
    SELECT c.unit, c.start_at, c.dim, c.key, sum(c.created) AS created,
           sum(c.delivered) AS delivered, sum(c.failed) AS failed,
           sum(c.cancelled) AS cancelled, sum(c.on_time) AS on_time,
           sum(c.promised) AS promised
    FROM c GROUP BY 1, 2, 3, 4),
  cells AS (
    SELECT c.unit, c.start_at, c.dim, c.key, m.metric, m.b, count(*)::integer AS n
    FROM c, LATERAL (VALUES (1, c.assign_b), (2, c.pickup_b), (3, c.delivery_b),
                            (4, c.eta_b)) m (metric, b)
    WHERE m.b IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6),
  hists AS (
    SELECT x.unit, x.start_at, x.dim, x.key,
           dispatch.report_hist_agg(x.b, x.n) FILTER (WHERE x.metric = 1) AS assign_hist,
           dispatch.report_hist_agg(x.b, x.n) FILTER (WHERE x.metric = 2) AS pickup_hist,
           dispatch.report_hist_agg(x.b, x.n) FILTER (WHERE x.metric = 3) AS delivery_hist,
           dispatch.report_hist_agg(x.b, x.n) FILTER (WHERE x.metric = 4) AS eta_hist
    FROM cells x GROUP BY 1, 2, 3, 4)
  SELECT s.unit, s.start_at, s.dim, s.key, s.created, s.delivered, s.failed, s.cancelled,
         s.on_time, s.promised, coalesce(h.assign_hist, '{}'), coalesce(h.pickup_hist, '{}'),
         coalesce(h.delivery_hist, '{}'), coalesce(h.eta_hist, '{}')
  FROM sums s LEFT JOIN hists h USING (unit, start_at, dim, key);

  INSERT INTO dispatch.driver_busy_spans (driver_id, busy_from, busy_until)
  SELECT x.driver_id, lower(x.r), upper(x.r)
  FROM (SELECT o.driver_id, unnest(range_agg(tstzrange(o.assigned_at, o.closed_at))) AS r
        FROM dispatch.orders o
        WHERE o.closed_at IS NOT NULL AND o.driver_id IS NOT NULL
          AND o.closed_at > o.assigned_at
        GROUP BY o.driver_id) x;

  INSERT INTO dispatch.report_summary AS s (unit, start_at, dim, key, online_s, busy_s)
  SELECT p.unit, p.start_at, 'd', t.driver_id,
         coalesce(sum(p.seconds) FILTER (WHERE t.online), 0),
         coalesce(sum(p.seconds) FILTER (WHERE NOT t.online), 0)
  FROM (SELECT b.driver_id, b.busy_from AS a, b.busy_until AS b, false AS online
        FROM dispatch.driver_busy_spans b
        UNION ALL
        SELECT x.driver_id, x.online_from, x.online_until, true
        FROM dispatch.driver_sessions x WHERE x.online_until IS NOT NULL) t,
       LATERAL dispatch.report_time_pieces(t.a, t.b) p
  GROUP BY p.unit, p.start_at, t.driver_id
  ON CONFLICT (unit, start_at, dim, key) DO UPDATE
  SET online_s = EXCLUDED.online_s, busy_s = EXCLUDED.busy_s;

  UPDATE dispatch.report_summary_state SET built = true;
END
$$;

-- The rows of a report over [p_from, p_to) (whole UTC hours), as p_actor may
-- see them: by p_unit ('hour', 'day'; NULL: the whole period as one row,
-- bucket NULL) and by p_dim ('zone', 'team', 'driver'; NULL: all together,
-- key NULL). Without p_dim every hour or day is a row, empty ones included;
-- with it only the keys with figures are. Order figures count the orders
-- created in the row's bucket; of a zone: in the zone (key NULL:
-- unzoned); of a team: in the team's zones; of a driver: last assigned to
-- the driver (key NULL: never assigned). Driver time (not by zone): online
-- and busy (the union of the driver's orders' assigned → closed intervals,
-- until now() for those still held) within the bucket, of every driver, of
-- the team's drivers, or of the driver. A scoped dispatcher's report holds
-- its zones' orders and its drivers only.
CREATE OR REPLACE FUNCTION dispatch.report_rows(p_actor jsonb, p_from timestamptz,
                                                p_to timestamptz, p_unit text, p_dim text)
RETURNS TABLE (bucket timestamptz, key uuid,
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
  arg AS (
    SELECT CASE p_dim WHEN 'driver' THEN 'd' ELSE 'z' END::"char" AS odim,
           p_dim IS DISTINCT FROM 'zone' AS with_time,
           dispatch.scope_zones(p_actor) AS zones, dispatch.scope_drivers(p_actor) AS drivers,
           dispatch.scope_teams(p_actor) AS teams,
           -- whole days inside the period are read from the day rows
           CASE WHEN p_unit = 'hour' THEN p_to
                ELSE date_trunc('day', p_from + interval '1 day' - interval '1 microsecond')
           END AS d0,
           CASE WHEN p_unit = 'hour' THEN p_to ELSE date_trunc('day', p_to) END AS d1),
  span AS (
    SELECT a.d0, greatest(a.d0, a.d1) AS d1, least(a.d0, p_to) AS h0,
           CASE WHEN a.with_time AND a.odim = 'z' THEN ARRAY['z', 'd']
                ELSE ARRAY[a.odim] END::"char"[] AS dims
    FROM arg a),
  open_busy AS (
    SELECT o.driver_id,
           range_agg(tstzrange(greatest(o.assigned_at, p_from), least(now(), p_to))) AS held
    FROM dispatch.orders o
    WHERE o.closed_at IS NULL AND o.driver_id IS NOT NULL
      AND o.assigned_at < least(now(), p_to) AND now() > p_from
    GROUP BY o.driver_id),
  src AS (
    SELECT s.start_at, s.dim, s.key, s.created, s.delivered, s.failed, s.cancelled, s.on_time,
           s.promised, s.assign_hist, s.pickup_hist, s.delivery_hist, s.eta_hist, s.online_s,
           s.busy_s
    FROM span x, dispatch.report_summary s
    WHERE s.unit = 'day' AND s.dim = ANY (x.dims) AND s.start_at >= x.d0 AND s.start_at < x.d1
    UNION ALL
    SELECT s.start_at, s.dim, s.key, s.created, s.delivered, s.failed, s.cancelled, s.on_time,
           s.promised, s.assign_hist, s.pickup_hist, s.delivery_hist, s.eta_hist, s.online_s,
           s.busy_s
    FROM span x, dispatch.report_summary s
    WHERE s.unit = 'hour' AND s.dim = ANY (x.dims) AND s.start_at >= p_from
      AND s.start_at < x.h0
    UNION ALL
    SELECT s.start_at, s.dim, s.key, s.created, s.delivered, s.failed, s.cancelled, s.on_time,
           s.promised, s.assign_hist, s.pickup_hist, s.delivery_hist, s.eta_hist, s.online_s,
           s.busy_s
    FROM span x, dispatch.report_summary s
    WHERE s.unit = 'hour' AND s.dim = ANY (x.dims) AND s.start_at >= x.d1 AND s.start_at < p_to
    UNION ALL
    -- orders not ended yet
    SELECT date_trunc('hour', o.created_at), k.dim, k.key, f.created, f.delivered, f.failed,
           f.cancelled, f.on_time, f.promised, dispatch.report_hist_add('{}', f.assign_b, 1),
           dispatch.report_hist_add('{}', f.pickup_b, 1),
           dispatch.report_hist_add('{}', f.delivery_b, 1),
           dispatch.report_hist_add('{}', f.eta_b, 1), 0, 0
    FROM dispatch.orders o
         CROSS JOIN LATERAL dispatch.report_order_figures(o) f
         CROSS JOIN arg a
         CROSS JOIN LATERAL (VALUES (a.odim, CASE a.odim WHEN 'z' THEN o.zone_id
                                                          ELSE o.driver_id END)) k (dim, key)
    WHERE o.closed_at IS NULL AND o.created_at >= p_from AND o.created_at < p_to
    UNION ALL
    -- sessions still open, orders still held (less the busy time already kept)
    SELECT p.start_at, 'd', t.driver_id, 0, 0, 0, 0, 0, 0, '{}', '{}', '{}', '{}',
           CASE WHEN t.online THEN p.seconds ELSE 0 END,
           CASE WHEN t.online THEN 0 ELSE p.seconds END
    FROM (SELECT x.driver_id, greatest(x.online_from, p_from) AS a, least(now(), p_to) AS b,
                 true AS online
          FROM dispatch.driver_sessions x
          WHERE x.online_until IS NULL
          UNION ALL
          SELECT h.driver_id, lower(r), upper(r), false
          FROM open_busy h,
               LATERAL unnest(h.held - coalesce(
                 (SELECT range_agg(tstzrange(b.busy_from, b.busy_until))
                  FROM dispatch.driver_busy_spans b
                  WHERE b.driver_id = h.driver_id AND b.busy_until > lower(h.held)
                    AND b.busy_from < upper(h.held)), '{}')) r) t,
         LATERAL dispatch.report_time_pieces(t.a, t.b) p
    WHERE p.unit = 'hour'),
  keyed AS (
    SELECT CASE WHEN p_unit IS NULL THEN '-infinity' ELSE date_trunc(p_unit, x.start_at) END
             AS bucket,
           g.key AS gkey, x.*, x.dim = a.odim AS counts
    FROM src x
         CROSS JOIN arg a
         CROSS JOIN LATERAL (
           SELECT CASE WHEN p_dim IS NULL THEN dispatch.report_no_key()
                       ELSE coalesce(x.key, dispatch.report_no_key()) END AS key
           WHERE p_dim IS DISTINCT FROM 'team'
           UNION ALL
           SELECT t.team_id FROM dispatch.team_zones t
           WHERE p_dim = 'team' AND x.dim = 'z' AND t.zone_id = x.key
           UNION ALL
           SELECT t.team_id FROM dispatch.team_drivers t
           WHERE p_dim = 'team' AND x.dim = 'd' AND t.driver_id = x.key) g
    WHERE (x.dim = a.odim OR (x.dim = 'd' AND a.with_time))
      AND CASE x.dim WHEN 'z' THEN a.zones IS NULL OR x.key = ANY (a.zones)
                     ELSE a.drivers IS NULL OR x.key = ANY (a.drivers) END
      AND (p_dim IS DISTINCT FROM 'team' OR a.teams IS NULL OR g.key = ANY (a.teams))),
  counts AS (
    SELECT k.bucket, k.gkey,
           sum(k.created) FILTER (WHERE k.counts) AS created,
           sum(k.delivered) FILTER (WHERE k.counts) AS delivered,
           sum(k.failed) FILTER (WHERE k.counts) AS failed,
           sum(k.cancelled) FILTER (WHERE k.counts) AS cancelled,
           sum(k.on_time) FILTER (WHERE k.counts) AS on_time,
           sum(k.promised) FILTER (WHERE k.counts) AS promised,
           sum(k.online_s) FILTER (WHERE k.dim = 'd') AS online_s,
           sum(k.busy_s) FILTER (WHERE k.dim = 'd') AS busy_s
    FROM keyed k GROUP BY k.bucket, k.gkey),
  figures AS (
    SELECT k.bucket, k.gkey,
           dispatch.report_hist_quantiles(dispatch.report_hist_sum(k.assign_hist)) AS assign,
           dispatch.report_hist_quantiles(dispatch.report_hist_sum(k.pickup_hist)) AS pickup,
           dispatch.report_hist_quantiles(dispatch.report_hist_sum(k.delivery_hist)) AS delivery,
           dispatch.report_hist_quantiles(dispatch.report_hist_sum(k.eta_hist)) AS eta
    FROM keyed k WHERE k.counts GROUP BY k.bucket, k.gkey),
  keys AS (
    SELECT g AS bucket, dispatch.report_no_key() AS gkey
    FROM generate_series(date_trunc(coalesce(p_unit, 'hour'), p_from),
                         p_to - interval '1 microsecond',
                         CASE p_unit WHEN 'day' THEN interval '1 day'
                                     ELSE interval '1 hour' END) g
    WHERE p_dim IS NULL AND p_unit IS NOT NULL
    UNION ALL
    SELECT '-infinity', dispatch.report_no_key() WHERE p_dim IS NULL AND p_unit IS NULL
    UNION ALL
    SELECT c.bucket, c.gkey FROM counts c WHERE p_dim IS NOT NULL)
  SELECT nullif(k.bucket, '-infinity'), nullif(k.gkey, dispatch.report_no_key()),
         coalesce(c.created, 0), coalesce(c.delivered, 0), coalesce(c.failed, 0),
         coalesce(c.cancelled, 0), coalesce(c.on_time, 0), coalesce(c.promised, 0),
         c.on_time::double precision / nullif(c.promised, 0),
         f.assign[1], f.assign[2], f.pickup[1], f.pickup[2],
         f.delivery[1], f.delivery[2], f.eta[1], f.eta[2],
         CASE WHEN a.with_time THEN coalesce(c.online_s, 0) / 3600.0 END,
         CASE WHEN a.with_time THEN coalesce(c.busy_s, 0) / 3600.0 END,
         CASE WHEN a.with_time THEN c.busy_s / nullif(c.online_s, 0) END
  FROM keys k
  CROSS JOIN arg a
  LEFT JOIN counts c ON c.bucket = k.bucket AND c.gkey = k.gkey
  LEFT JOIN figures f ON f.bucket = k.bucket AND f.gkey = k.gkey
$$;

-- A page of a report, for streaming it: by hour or day, the rows of at most
-- p_limit buckets from the one after bucket p_after (the RFC 3339 start of
-- the previous page's last; NULL: from the first), each page a report of
-- its own stretch of the period (buckets do not straddle pages); without a
-- unit, every row on the first page. Rows in bucket, then name order; the
-- key (row_key) comes last.
CREATE OR REPLACE FUNCTION dispatch.report_page(p_actor jsonb, p_from timestamptz,
                                                p_to timestamptz, p_unit text, p_dim text,
                                                p_after text, p_limit integer)
RETURNS TABLE (bucket text, driver_id uuid, driver_name text,
               created bigint, delivered bigint, failed bigint, cancelled bigint,
               on_time bigint, promised bigint, on_time_rate double precision,
               assign_p50_s double precision, assign_p90_s double precision,
               pickup_wait_p50_s double precision, pickup_wait_p90_s double precision,
               delivery_p50_s double precision, delivery_p90_s double precision,
               eta_error_p50_s double precision, eta_error_p90_s double precision,
               online_hours double precision, busy_hours double precision,
               utilisation double precision, zone_id uuid, zone_name text,
               team_id uuid, team_name text, row_key text)
LANGUAGE plpgsql STABLE SET TimeZone = 'UTC' AS $$
DECLARE
  v_len interval := CASE p_unit WHEN 'hour' THEN interval '1 hour' ELSE interval '1 day' END;
  v_start timestamptz := p_from;
  v_end timestamptz := p_to;
BEGIN
  IF p_unit IS NULL THEN
    IF p_after IS NOT NULL THEN
      RETURN;
    END IF;
  ELSE
    IF p_after IS NOT NULL THEN
      v_start := p_after::timestamptz + v_len;
    END IF;
    IF v_start >= p_to THEN
      RETURN;
    END IF;
    v_end := least(p_to, date_trunc(p_unit, v_start) + p_limit * v_len);
  END IF;
  RETURN QUERY
    SELECT dispatch.ts_json(r.bucket),
           CASE p_dim WHEN 'driver' THEN r.key END, d.name,
           r.created, r.delivered, r.failed, r.cancelled, r.on_time, r.promised,
           r.on_time_rate, r.assign_p50_s, r.assign_p90_s, r.pickup_wait_p50_s,
           r.pickup_wait_p90_s, r.delivery_p50_s, r.delivery_p90_s, r.eta_error_p50_s,
           r.eta_error_p90_s, r.online_hours, r.busy_hours, r.utilisation,
           CASE p_dim WHEN 'zone' THEN r.key END, z.name,
           CASE p_dim WHEN 'team' THEN r.key END, t.name,
           coalesce(dispatch.ts_json(r.bucket), 'all')
    FROM dispatch.report_rows(p_actor, v_start, v_end, p_unit, p_dim) r
    LEFT JOIN dispatch.drivers d ON p_dim = 'driver' AND d.id = r.key
    LEFT JOIN dispatch.zones z ON p_dim = 'zone' AND z.id = r.key
    LEFT JOIN dispatch.teams t ON p_dim = 'team' AND t.id = r.key
    ORDER BY r.bucket, coalesce(d.name, z.name, t.name), r.key;
END
$$;

-- The same page with each row as a JSON object (the members of
-- report_page but row_key), for the JSON answer.
CREATE OR REPLACE FUNCTION dispatch.report_json_page(p_actor jsonb, p_from timestamptz,
                                                     p_to timestamptz, p_unit text,
                                                     p_dim text, p_after text,
                                                     p_limit integer)
RETURNS TABLE (row_json text, row_key text)
LANGUAGE sql STABLE AS $$
  SELECT (to_jsonb(r) - 'row_key')::text, r.row_key
  FROM dispatch.report_page(p_actor, p_from, p_to, p_unit, p_dim, p_after, p_limit) r
$$;

-- Rows that were there before migration 0240 (once).
SELECT dispatch.report_summary_rebuild()
FROM dispatch.report_summary_state WHERE NOT built;
