-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Zones and teams (migration 0170-teams.sql): where an order belongs, what a
-- dispatcher scoped to teams may see, the admin endpoints' functions.
--
-- Scope: a dispatcher who is in at least one team sees the orders of its
-- teams' zones and its teams' drivers, nothing else (another team's order or
-- driver is not_found, as a customer's foreign order is). Admins, automation
-- and dispatchers in no team see everything. The API checks the shape and
-- limits of zones (shared/dispatch-zone.c); here only what needs the rows.

-- The rings near (p_lat, p_lon) and where the point lies against each:
-- place 1 inside, 2 on the ring; a ring not listed has the point outside.
-- Even-odd rule with a ray to the east, half-open in latitude; the side of
-- each edge is the sign of one cross product c, so "on the edge" and
-- "crosses" never disagree. Only the edges whose reach holds the point are
-- read (GiST index).
CREATE OR REPLACE FUNCTION dispatch.rings_at(p_lat double precision, p_lon double precision)
RETURNS TABLE (zone_id uuid, polygon integer, ring integer, place integer)
LANGUAGE sql STABLE AS $$
  SELECT e.zone_id, e.polygon, e.ring,
         CASE
           WHEN bool_or(e.c = 0 AND p_lon BETWEEN least(e.x1, e.x2) AND greatest(e.x1, e.x2)
                        AND p_lat BETWEEN least(e.y1, e.y2) AND greatest(e.y1, e.y2)) THEN 2
           WHEN count(*) FILTER (WHERE (e.y1 > p_lat) <> (e.y2 > p_lat)
                                   AND (e.c > 0) = (e.y2 > e.y1)) % 2 = 1 THEN 1
           ELSE 0
         END
  FROM (SELECT g.zone_id, g.polygon, g.ring, g.x1, g.y1, g.x2, g.y2,
               (g.x2 - g.x1) * (p_lat - g.y1) - (g.y2 - g.y1) * (p_lon - g.x1) AS c
        FROM dispatch.zone_edges g
        WHERE g.reach @> box(point(p_lon, p_lat), point(p_lon, p_lat))) e
  GROUP BY e.zone_id, e.polygon, e.ring
$$;

-- The zone of a pickup: of the zones that hold it (inside or on the outer
-- ring of one of their polygons and not strictly inside one of that
-- polygon's holes: a hole's boundary belongs to the zone), the oldest (zones
-- may overlap; a point on the border of two belongs to the older); NULL:
-- unzoned. PL/pgSQL, not SQL: a SQL function with a FROM clause is not
-- inlined, and called from PL/pgSQL (order_create, once per order) it would
-- be parsed and planned at every call; PL/pgSQL keeps the plan.
CREATE OR REPLACE FUNCTION dispatch.zone_at(p_lat double precision, p_lon double precision)
RETURNS uuid LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    WITH r AS MATERIALIZED (SELECT * FROM dispatch.rings_at(p_lat, p_lon))
    SELECT z.id FROM dispatch.zones z
    WHERE z.id IN (SELECT o.zone_id FROM r o
                   WHERE o.ring = 0 AND o.place > 0
                     AND NOT EXISTS (SELECT 1 FROM r h
                                     WHERE h.zone_id = o.zone_id AND h.polygon = o.polygon
                                       AND h.ring > 0 AND h.place = 1))
    ORDER BY z.created_at, z.id
    LIMIT 1);
END
$$;

-- The teams of a scoped dispatcher; NULL when p_actor sees everything.
CREATE OR REPLACE FUNCTION dispatch.scope_teams(p_actor jsonb)
RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_actor ->> 'role' = 'dispatcher' THEN
    (SELECT nullif(array_agg(m.team_id), '{}') FROM dispatch.team_dispatchers m
     WHERE m.user_id = dispatch.to_uuid(p_actor ->> 'user_id'))
  END
$$;

-- The zones whose orders p_actor sees; NULL: every order (zoned or not).
CREATE OR REPLACE FUNCTION dispatch.scope_zones(p_actor jsonb)
RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN t.ids IS NOT NULL THEN
    ARRAY(SELECT DISTINCT z.zone_id FROM dispatch.team_zones z WHERE z.team_id = ANY (t.ids))
  END
  FROM (SELECT dispatch.scope_teams(p_actor) AS ids) t
$$;

-- The drivers p_actor sees; NULL: every driver.
CREATE OR REPLACE FUNCTION dispatch.scope_drivers(p_actor jsonb)
RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN t.ids IS NOT NULL THEN
    ARRAY(SELECT DISTINCT d.driver_id FROM dispatch.team_drivers d WHERE d.team_id = ANY (t.ids))
  END
  FROM (SELECT dispatch.scope_teams(p_actor) AS ids) t
$$;

-- {"zones":[ids],"drivers":[ids]} for a scoped dispatcher, SQL NULL for
-- everyone else: what the dispatcher stream lets through (server/auth/dsd-scope.c).
CREATE OR REPLACE FUNCTION dispatch.scope_json(p_actor jsonb)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN dispatch.scope_teams(p_actor) IS NOT NULL THEN
    jsonb_build_object('zones', to_jsonb(dispatch.scope_zones(p_actor)),
                       'drivers', to_jsonb(dispatch.scope_drivers(p_actor)))
  END
$$;

-- Whether p_actor sees the orders of zone p_zone (NULL: unzoned). PL/pgSQL
-- (as zone_at): only a dispatcher's scope is read, with a kept plan.
CREATE OR REPLACE FUNCTION dispatch.scope_has_zone(p_actor jsonb, p_zone uuid)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_ids uuid[];
BEGIN
  IF p_actor ->> 'role' IS DISTINCT FROM 'dispatcher' THEN
    RETURN true;
  END IF;
  v_ids := dispatch.scope_zones(p_actor);
  RETURN coalesce(p_zone = ANY (v_ids), v_ids IS NULL);
END
$$;

-- Whether p_actor sees driver p_id (which need not exist).
CREATE OR REPLACE FUNCTION dispatch.scope_has_driver(p_actor jsonb, p_id uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(p_id = ANY (s.ids), s.ids IS NULL)
  FROM (SELECT dispatch.scope_drivers(p_actor) AS ids) s
$$;

-- p_ids (NULL: every driver) as far as p_actor sees them: the drivers a near
-- search considers (dispatch.driver_list_near).
CREATE OR REPLACE FUNCTION dispatch.scope_filter_drivers(p_actor jsonb, p_ids uuid[])
RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN s.ids IS NULL THEN p_ids
              WHEN p_ids IS NULL THEN s.ids
              ELSE ARRAY(SELECT unnest(p_ids) INTERSECT SELECT unnest(s.ids)) END
  FROM (SELECT dispatch.scope_drivers(p_actor) AS ids) s
$$;

-- The automation rules of the zone of an order: auto_dispatch, max_pickup_km
-- and offer_timeout_s (NULL: the server's), and the drivers automation may
-- use (NULL: any; else the drivers of the zone's teams that keep automation
-- within the team).
CREATE OR REPLACE FUNCTION dispatch.zone_allowed_drivers(p_zone uuid)
RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN EXISTS (SELECT 1 FROM dispatch.team_zones tz
                           JOIN dispatch.teams t ON t.id = tz.team_id
                           WHERE tz.zone_id = p_zone AND t.keep_automation) THEN
    ARRAY(SELECT DISTINCT td.driver_id
          FROM dispatch.team_zones tz
          JOIN dispatch.teams t ON t.id = tz.team_id AND t.keep_automation
          JOIN dispatch.team_drivers td ON td.team_id = t.id
          WHERE tz.zone_id = p_zone)
  END
$$;

-- The zone object.
CREATE OR REPLACE FUNCTION dispatch.zone_json(z dispatch.zones)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', z.id, 'name', z.name, 'geometry', z.geometry,
    'bbox', jsonb_build_array(z.min_lat, z.min_lon, z.max_lat, z.max_lon),
    'auto_dispatch', z.auto_dispatch, 'max_pickup_km', z.max_pickup_km,
    'offer_timeout_s', z.offer_timeout_s,
    'teams', coalesce((SELECT jsonb_agg(tz.team_id ORDER BY tz.team_id)
                       FROM dispatch.team_zones tz WHERE tz.zone_id = z.id), '[]'::jsonb),
    'created_at', dispatch.ts_json(z.created_at), 'updated_at', dispatch.ts_json(z.updated_at))
$$;

-- POST /zones (p_id NULL) and PUT /zones/{id}: p_body {"name","geometry",
-- "auto_dispatch","max_pickup_km","offer_timeout_s"} as the API validated it
-- (geometry a valid Polygon or MultiPolygon, [lon, lat] positions). Orders
-- keep the zone they got when they were created. Returns the zone.
CREATE OR REPLACE FUNCTION dispatch.zone_put(p_actor jsonb, p_id text, p_body jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_geometry jsonb := p_body -> 'geometry';
  v_polygons jsonb;
  v_z dispatch.zones;
  v_bad record;
  v_field text;
BEGIN
  IF p_id IS NOT NULL THEN
    SELECT * INTO v_z FROM dispatch.zones WHERE id = dispatch.to_uuid(p_id) FOR UPDATE;
    IF NOT FOUND THEN
      PERFORM dispatch.raise_error('not_found', 'no such zone');
    END IF;
    DELETE FROM dispatch.zone_edges WHERE zone_id = v_z.id;
    UPDATE dispatch.zones SET name = p_body ->> 'name', updated_at = now() WHERE id = v_z.id;
  ELSE
    INSERT INTO dispatch.zones (name, geometry, min_lat, min_lon, max_lat, max_lon)
    VALUES (p_body ->> 'name', v_geometry, 0, 0, 0, 0)
    RETURNING * INTO v_z;
  END IF;

  v_polygons := CASE v_geometry ->> 'type'
                  WHEN 'Polygon' THEN jsonb_build_array(v_geometry -> 'coordinates')
                  ELSE v_geometry -> 'coordinates' END;
  INSERT INTO dispatch.zone_edges (zone_id, polygon, ring, x1, y1, x2, y2, reach)
  SELECT v_z.id, p.n - 1, r.n - 1, e.x1, e.y1, e.x2, e.y2,
         box(point(-180, least(e.y1, e.y2)), point(greatest(e.x1, e.x2), greatest(e.y1, e.y2)))
  FROM jsonb_array_elements(v_polygons) WITH ORDINALITY AS p(value, n),
       jsonb_array_elements(p.value) WITH ORDINALITY AS r(value, n),
       LATERAL (SELECT q.x1, q.y1, q.x2, q.y2
                FROM (SELECT (pt.value ->> 0)::double precision AS x1,
                             (pt.value ->> 1)::double precision AS y1,
                             lead((pt.value ->> 0)::double precision) OVER w AS x2,
                             lead((pt.value ->> 1)::double precision) OVER w AS y2
                      FROM jsonb_array_elements(r.value) WITH ORDINALITY AS pt(value, n)
                      WINDOW w AS (ORDER BY pt.n)) q
                WHERE q.x2 IS NOT NULL) e;

  -- The API checked that no two rings of a polygon meet, so a hole lies
  -- inside its outer ring (and outside the other holes) when its first
  -- position does.
  SELECT p.n - 1 AS polygon, r.n - 1 AS ring INTO v_bad
  FROM jsonb_array_elements(v_polygons) WITH ORDINALITY AS p(value, n),
       jsonb_array_elements(p.value) WITH ORDINALITY AS r(value, n)
       LEFT JOIN LATERAL (
         SELECT x.ring, x.place FROM dispatch.rings_at((r.value -> 0 ->> 1)::double precision,
                                                       (r.value -> 0 ->> 0)::double precision) x
         WHERE x.zone_id = v_z.id AND x.polygon = p.n - 1) AS v ON true
  WHERE r.n > 1
  GROUP BY p.n, r.n
  HAVING NOT coalesce(bool_or(v.ring = 0 AND v.place = 1), false)
      OR coalesce(bool_or(v.ring > 0 AND v.ring <> r.n - 1 AND v.place = 1), false)
  ORDER BY p.n, r.n
  LIMIT 1;
  IF FOUND THEN
    v_field := CASE WHEN v_geometry ->> 'type' = 'Polygon'
                    THEN format('geometry.coordinates[%s]', v_bad.ring)
                    ELSE format('geometry.coordinates[%s][%s]', v_bad.polygon, v_bad.ring) END;
    PERFORM dispatch.raise_error('invalid_argument',
      format('%s must lie inside its polygon''s outer ring and outside its other holes',
             v_field),
      v_field);
  END IF;

  UPDATE dispatch.zones z
  SET geometry = v_geometry,
      auto_dispatch = coalesce((p_body ->> 'auto_dispatch')::boolean, true),
      max_pickup_km = (p_body ->> 'max_pickup_km')::double precision,
      offer_timeout_s = (p_body ->> 'offer_timeout_s')::integer,
      min_lat = b.min_lat, min_lon = b.min_lon, max_lat = b.max_lat, max_lon = b.max_lon
  FROM (SELECT min(e.y1) AS min_lat, max(e.y1) AS max_lat, min(e.x1) AS min_lon,
               max(e.x1) AS max_lon
        FROM dispatch.zone_edges e
        WHERE e.zone_id = v_z.id AND e.ring = 0) b
  WHERE z.id = v_z.id
  RETURNING z.* INTO v_z;
  RETURN dispatch.zone_json(v_z);
END
$$;

CREATE OR REPLACE FUNCTION dispatch.zone_get(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT dispatch.zone_json(z) FROM dispatch.zones z WHERE z.id = dispatch.to_uuid(p_id)
$$;

-- GET /zones: {"zones":[...],"next"}, oldest first.
CREATE OR REPLACE FUNCTION dispatch.zone_list(p_actor jsonb, p_limit integer, p_cursor text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_after dispatch.page_key := dispatch.page_after(p_cursor, 'zones');
BEGIN
  RETURN dispatch.page_json('zones', p_limit, ARRAY(
    SELECT ROW(z.created_at, z.id, dispatch.zone_json(z))::dispatch.page_row
    FROM dispatch.zones z
    WHERE v_after.t IS NULL OR (z.created_at, z.id) > (v_after.t, v_after.i)
    ORDER BY z.created_at, z.id
    LIMIT p_limit + 1));
END
$$;

-- DELETE /zones/{id}: conflict while open orders are in it; its finished
-- orders become unzoned.
CREATE OR REPLACE FUNCTION dispatch.zone_delete(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid;
BEGIN
  SELECT id INTO v_id FROM dispatch.zones WHERE id = dispatch.to_uuid(p_id) FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'no such zone');
  END IF;
  IF EXISTS (SELECT 1 FROM dispatch.orders
             WHERE zone_id = v_id AND status IN ('pending', 'assigned', 'picked_up')) THEN
    PERFORM dispatch.raise_error('conflict', 'the zone has open orders');
  END IF;
  DELETE FROM dispatch.zones WHERE id = v_id;
  RETURN '{}'::jsonb;
END
$$;

-- The team object.
CREATE OR REPLACE FUNCTION dispatch.team_json(t dispatch.teams)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', t.id, 'name', t.name, 'keep_automation', t.keep_automation,
    'dispatchers', coalesce((SELECT jsonb_agg(m.user_id ORDER BY m.user_id)
                             FROM dispatch.team_dispatchers m WHERE m.team_id = t.id), '[]'),
    'drivers', coalesce((SELECT jsonb_agg(d.driver_id ORDER BY d.driver_id)
                         FROM dispatch.team_drivers d WHERE d.team_id = t.id), '[]'),
    'zones', coalesce((SELECT jsonb_agg(z.zone_id ORDER BY z.zone_id)
                       FROM dispatch.team_zones z WHERE z.team_id = t.id), '[]'),
    'created_at', dispatch.ts_json(t.created_at), 'updated_at', dispatch.ts_json(t.updated_at))
$$;

-- The uuids of p_body's array p_member (ids the API checked to be distinct
-- strings); one that is no id of p_table (or, for dispatchers, no
-- dispatcher's user id) → invalid_argument on "<member>[i]".
CREATE OR REPLACE FUNCTION dispatch.team_member_ids(p_body jsonb, p_member text)
RETURNS uuid[] LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_ids uuid[] := '{}';
  v_id uuid;
  r record;
BEGIN
  FOR r IN SELECT e.value #>> '{}' AS text, e.n - 1 AS i
           FROM jsonb_array_elements(coalesce(p_body -> p_member, '[]')) WITH ORDINALITY e(value, n)
  LOOP
    v_id := dispatch.to_uuid(r.text);
    IF v_id IS NULL
       OR (p_member = 'dispatchers' AND NOT EXISTS (
             SELECT 1 FROM dispatch.users WHERE id = v_id AND role = 'dispatcher'))
       OR (p_member = 'drivers' AND NOT EXISTS (SELECT 1 FROM dispatch.drivers WHERE id = v_id))
       OR (p_member = 'zones' AND NOT EXISTS (SELECT 1 FROM dispatch.zones WHERE id = v_id)) THEN
      PERFORM dispatch.raise_error('invalid_argument',
        format('%s[%s] is not a known %s', p_member, r.i,
               CASE p_member WHEN 'dispatchers' THEN 'dispatcher'
                             WHEN 'drivers' THEN 'driver' ELSE 'zone' END),
        format('%s[%s]', p_member, r.i));
    END IF;
    v_ids := v_ids || v_id;
  END LOOP;
  RETURN v_ids;
END
$$;

-- POST /teams (p_id NULL) and PUT /teams/{id}: p_body {"name",
-- "keep_automation","dispatchers":[user ids],"drivers":[ids],"zones":[ids]}
-- replaces the team. Returns the team.
CREATE OR REPLACE FUNCTION dispatch.team_put(p_actor jsonb, p_id text, p_body jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_dispatchers uuid[] := dispatch.team_member_ids(p_body, 'dispatchers');
  v_drivers uuid[] := dispatch.team_member_ids(p_body, 'drivers');
  v_zones uuid[] := dispatch.team_member_ids(p_body, 'zones');
  v_t dispatch.teams;
BEGIN
  IF p_id IS NULL THEN
    INSERT INTO dispatch.teams (name, keep_automation)
    VALUES (p_body ->> 'name', coalesce((p_body ->> 'keep_automation')::boolean, false))
    RETURNING * INTO v_t;
  ELSE
    UPDATE dispatch.teams
    SET name = p_body ->> 'name',
        keep_automation = coalesce((p_body ->> 'keep_automation')::boolean, false),
        updated_at = now()
    WHERE id = dispatch.to_uuid(p_id)
    RETURNING * INTO v_t;
    IF NOT FOUND THEN
      PERFORM dispatch.raise_error('not_found', 'no such team');
    END IF;
    DELETE FROM dispatch.team_dispatchers WHERE team_id = v_t.id;
    DELETE FROM dispatch.team_drivers WHERE team_id = v_t.id;
    DELETE FROM dispatch.team_zones WHERE team_id = v_t.id;
  END IF;
  INSERT INTO dispatch.team_dispatchers (team_id, user_id) SELECT v_t.id, unnest(v_dispatchers);
  INSERT INTO dispatch.team_drivers (team_id, driver_id) SELECT v_t.id, unnest(v_drivers);
  INSERT INTO dispatch.team_zones (team_id, zone_id) SELECT v_t.id, unnest(v_zones);
  RETURN dispatch.team_json(v_t);
END
$$;

CREATE OR REPLACE FUNCTION dispatch.team_get(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT dispatch.team_json(t) FROM dispatch.teams t WHERE t.id = dispatch.to_uuid(p_id)
$$;

-- GET /teams: {"teams":[...],"next"}, oldest first.
CREATE OR REPLACE FUNCTION dispatch.team_list(p_actor jsonb, p_limit integer, p_cursor text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_after dispatch.page_key := dispatch.page_after(p_cursor, 'teams');
BEGIN
  RETURN dispatch.page_json('teams', p_limit, ARRAY(
    SELECT ROW(t.created_at, t.id, dispatch.team_json(t))::dispatch.page_row
    FROM dispatch.teams t
    WHERE v_after.t IS NULL OR (t.created_at, t.id) > (v_after.t, v_after.i)
    ORDER BY t.created_at, t.id
    LIMIT p_limit + 1));
END
$$;

CREATE OR REPLACE FUNCTION dispatch.team_delete(p_actor jsonb, p_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM dispatch.teams WHERE id = dispatch.to_uuid(p_id);
  IF NOT FOUND THEN
    PERFORM dispatch.raise_error('not_found', 'no such team');
  END IF;
  RETURN '{}'::jsonb;
END
$$;

-- The caller (GET /api/v1/users/me): its user object and the teams it
-- dispatches for, [{id, name}] by name ([]: an unscoped dispatcher or
-- another role).
CREATE OR REPLACE FUNCTION dispatch.user_me(p_actor jsonb)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT dispatch.user_json(u) || jsonb_build_object('teams', coalesce(
    (SELECT jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name) ORDER BY t.name, t.id)
     FROM dispatch.team_dispatchers m JOIN dispatch.teams t ON t.id = m.team_id
     WHERE m.user_id = u.id AND u.role = 'dispatcher'), '[]'::jsonb))
  FROM dispatch.users u
  WHERE u.id = dispatch.to_uuid(p_actor ->> 'user_id')
$$;
