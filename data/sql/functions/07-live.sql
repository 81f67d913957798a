-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Live state (server/live/): the fleet snapshot the server loads at start, the
-- live positions of the ingest path, history retention, and the ETA tracker's
-- reads and batched writes.

-- Every driver (or only p_id) as the fleet keeps it in memory: rows
-- (seq, id, name, vehicle, capacity, online, auto_dispatch, lat, lon, heading,
-- speed_mps, recorded_at_us, n_active). seq is the last event seq given out:
-- every driver.updated with seq <= seq is reflected in the rows (one
-- statement, one snapshot), so the fleet can ignore older events it sees
-- after loading. recorded_at_us is the live position's time in Unix
-- microseconds (NULL without a position); n_active counts the assigned and
-- picked up orders.
CREATE OR REPLACE FUNCTION dispatch.fleet_snapshot(p_id uuid DEFAULT NULL)
RETURNS TABLE (seq bigint, id text, name text, vehicle text, capacity integer,
               online boolean, auto_dispatch boolean, lat double precision,
               lon double precision, heading double precision, speed_mps double precision,
               recorded_at_us bigint, n_active integer)
LANGUAGE sql STABLE AS $$
  SELECT (SELECT s.last_seq FROM dispatch.relay_state s WHERE s.id = 1),
         d.id::text, d.name, d.vehicle, d.capacity, d.online, d.auto_dispatch,
         d.lat, d.lon, d.heading, d.speed_mps,
         (extract(epoch FROM d.location_at) * 1000000)::bigint,
         coalesce(a.n, 0)::integer
  FROM dispatch.drivers d
  LEFT JOIN (SELECT o.driver_id, count(*) AS n FROM dispatch.orders o
             WHERE o.status IN ('assigned', 'picked_up')
             GROUP BY o.driver_id) a ON a.driver_id = d.id
  WHERE p_id IS NULL OR d.id = p_id
$$;

-- The live positions of one ingest flush, in the transaction of the COPY that
-- writes the same points to history: per driver the newest point of the
-- flush. A driver's position moves only to a newer point (an older one is
-- history only); last_seen_at is always refreshed. Rows are locked in id
-- order first (the schema's lock order), so concurrent flushes of several
-- instances cannot deadlock. Unknown ids are ignored. Its two statements
-- are planned once (a generic plan) and find each driver by its key: custom
-- plans, made afresh for every flush's arrays, were a third of its time, and
-- on a table of a few thousand drivers, or before it is analyzed, the planner
-- preferred scanning every row (with its dead versions: the positions churn)
-- and comparing each with the whole array, for a flush of a few drivers.
-- Together these halve its CPU per flush.
CREATE OR REPLACE FUNCTION dispatch.driver_positions_apply(p_ids uuid[],
                                                           p_recorded_at timestamptz[],
                                                           p_lat double precision[],
                                                           p_lon double precision[],
                                                           p_heading double precision[],
                                                           p_speed_mps double precision[],
                                                           p_accuracy_m double precision[])
RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
BEGIN
  PERFORM 1 FROM dispatch.drivers d WHERE d.id = ANY (p_ids) ORDER BY d.id FOR UPDATE;

  -- The rows are locked: the row updated is the driver's current one, so
  -- "newer" compares with it directly (no second look-up of each driver).
  UPDATE dispatch.drivers d
  SET lat          = CASE WHEN u.recorded_at > coalesce(d.location_at, '-infinity')
                          THEN u.lat ELSE d.lat END,
      lon          = CASE WHEN u.recorded_at > coalesce(d.location_at, '-infinity')
                          THEN u.lon ELSE d.lon END,
      heading      = CASE WHEN u.recorded_at > coalesce(d.location_at, '-infinity')
                          THEN u.heading ELSE d.heading END,
      speed_mps    = CASE WHEN u.recorded_at > coalesce(d.location_at, '-infinity')
                          THEN u.speed_mps ELSE d.speed_mps END,
      accuracy_m   = CASE WHEN u.recorded_at > coalesce(d.location_at, '-infinity')
                          THEN u.accuracy_m ELSE d.accuracy_m END,
      location_at  = greatest(u.recorded_at, d.location_at),
      last_seen_at = now()
  FROM unnest(p_ids, p_recorded_at, p_lat, p_lon, p_heading, p_speed_mps, p_accuracy_m)
       AS u(id, recorded_at, lat, lon, heading, speed_mps, accuracy_m)
  WHERE d.id = u.id;
END
$$;

-- Deletes at most p_limit history points received before p_before; returns
-- how many (the caller repeats while it gets p_limit, so that no statement
-- holds a long transaction).
CREATE OR REPLACE FUNCTION dispatch.purge_driver_locations(p_before timestamptz, p_limit integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_n bigint;
BEGIN
  DELETE FROM dispatch.driver_locations l
  WHERE l.ctid = ANY (ARRAY(SELECT o.ctid FROM dispatch.driver_locations o
                            WHERE o.received_at < p_before
                            LIMIT greatest(p_limit, 1)));
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;

-- The orders the ETA tracker follows at start (assigned, picked up): rows
-- (seq, id, driver_id, status, pickup_lat, pickup_lon, dropoff_lat,
-- dropoff_lon, eta_seconds); seq as in fleet_snapshot: every order event with
-- seq <= seq is reflected in the rows. Without active orders there is one row
-- with only seq set, so the caller always learns seq.
CREATE OR REPLACE FUNCTION dispatch.eta_orders()
RETURNS TABLE (seq bigint, id text, driver_id text, status text,
               pickup_lat double precision, pickup_lon double precision,
               dropoff_lat double precision, dropoff_lon double precision,
               eta_seconds integer)
LANGUAGE sql STABLE AS $$
  SELECT s.last_seq, o.id::text, o.driver_id::text, o.status, o.pickup_lat, o.pickup_lon,
         o.dropoff_lat, o.dropoff_lon, o.eta_seconds
  FROM dispatch.relay_state s
  LEFT JOIN dispatch.orders o ON o.status IN ('assigned', 'picked_up')
  WHERE s.id = 1
$$;

-- Stores the ETAs the tracker published since its last call. An ETA is only
-- written while the order still has the driver and status it was computed
-- for (a reassignment or status change in between resets eta_seconds itself).
-- No event and no updated_at change: ETA changes reach streams from the
-- tracker directly, and updated_at keeps meaning "the order changed".
-- Rows are locked in id order (the schema's lock order).
CREATE OR REPLACE FUNCTION dispatch.orders_set_eta(p_ids uuid[], p_driver_ids uuid[],
                                                   p_statuses text[],
                                                   p_eta_seconds integer[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM dispatch.orders o WHERE o.id = ANY (p_ids) ORDER BY o.id FOR UPDATE;

  UPDATE dispatch.orders o
  SET eta_seconds = greatest(u.eta, 0)
  FROM unnest(p_ids, p_driver_ids, p_statuses, p_eta_seconds) AS u(id, driver_id, status, eta)
  WHERE o.id = u.id AND o.driver_id = u.driver_id AND o.status = u.status
    AND o.eta_seconds IS DISTINCT FROM greatest(u.eta, 0);
END
$$;
