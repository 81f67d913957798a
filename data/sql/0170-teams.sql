-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Zones and teams (issue 14). A zone is a GeoJSON Polygon or MultiPolygon,
-- validated by the API (shared/dispatch-zone.c); its edges are kept for the
-- point-in-polygon test of dispatch.zone_at(). An order belongs to the
-- zone of its pickup when it is created (orders.zone_id; NULL: unzoned). A
-- team groups dispatchers (users), drivers and zones: a dispatcher in at least
-- one team sees only its teams' zones' orders and its teams' drivers.

CREATE TABLE dispatch.zones (
  id              uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text             NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  geometry        jsonb            NOT NULL,
  min_lat         double precision NOT NULL,
  min_lon         double precision NOT NULL,
  max_lat         double precision NOT NULL,
  max_lon         double precision NOT NULL,
  -- per-zone automation: off leaves the zone's orders to people; NULL: the
  -- server's setting (DISPATCH_MAX_PICKUP_KM, DISPATCH_OFFER_TIMEOUT_S)
  auto_dispatch   boolean          NOT NULL DEFAULT true,
  max_pickup_km   double precision CHECK (max_pickup_km > 0 AND max_pickup_km <= 1000),
  offer_timeout_s integer          CHECK (offer_timeout_s BETWEEN 0 AND 3600),
  created_at      timestamptz      NOT NULL DEFAULT now(),
  updated_at      timestamptz      NOT NULL DEFAULT now()
);

-- The edges of a zone's rings (ring 0 of each polygon is its outer boundary,
-- the others its holes), for the point-in-polygon test of
-- dispatch.rings_at(): reach is the box of the points whose ray to the east
-- may cross the edge or that may lie on it (west of its east end, within its
-- latitudes), so that a GiST index finds the few edges that matter.
CREATE TABLE dispatch.zone_edges (
  zone_id  uuid             NOT NULL REFERENCES dispatch.zones (id) ON DELETE CASCADE,
  polygon  integer          NOT NULL,
  ring     integer          NOT NULL,
  x1       double precision NOT NULL,
  y1       double precision NOT NULL,
  x2       double precision NOT NULL,
  y2       double precision NOT NULL,
  reach    box              NOT NULL
);
CREATE INDEX zone_edges_zone_idx ON dispatch.zone_edges (zone_id);
CREATE INDEX zone_edges_reach_idx ON dispatch.zone_edges USING gist (reach);

CREATE TABLE dispatch.teams (
  id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- automation gives the orders of the team's zones only to the team's drivers
  keep_automation boolean     NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dispatch.team_dispatchers (
  team_id uuid NOT NULL REFERENCES dispatch.teams (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES dispatch.users (id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_dispatchers_user_idx ON dispatch.team_dispatchers (user_id);

CREATE TABLE dispatch.team_drivers (
  team_id   uuid NOT NULL REFERENCES dispatch.teams (id) ON DELETE CASCADE,
  driver_id uuid NOT NULL REFERENCES dispatch.drivers (id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, driver_id)
);
CREATE INDEX team_drivers_driver_idx ON dispatch.team_drivers (driver_id);

CREATE TABLE dispatch.team_zones (
  team_id uuid NOT NULL REFERENCES dispatch.teams (id) ON DELETE CASCADE,
  zone_id uuid NOT NULL REFERENCES dispatch.zones (id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, zone_id)
);
CREATE INDEX team_zones_zone_idx ON dispatch.team_zones (zone_id);

-- A deleted zone's (finished) orders become unzoned; zone_delete refuses
-- while open orders are in it.
ALTER TABLE dispatch.orders
  ADD COLUMN zone_id uuid REFERENCES dispatch.zones (id) ON DELETE SET NULL;
CREATE INDEX orders_zone_idx ON dispatch.orders (zone_id, created_at DESC, id DESC)
  WHERE zone_id IS NOT NULL;

-- engine_round gains the zone's rules (max_pickup_m, allowed drivers); the
-- snapshot pages take a scoped dispatcher's zones and drivers
DROP FUNCTION IF EXISTS dispatch.engine_round(integer, integer);
DROP FUNCTION IF EXISTS dispatch.stream_snapshot_orders(text, integer);
DROP FUNCTION IF EXISTS dispatch.stream_snapshot_drivers(text, integer);
