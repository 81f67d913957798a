-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- Demand (GET /api/v1/reports/demand, docs/reports.md): where the orders of
-- a period were picked up, counted per cell of a grid, for the console's
-- heat layer.

-- The pickups of the orders created in [p_from, p_to) that p_actor sees
-- (a scoped dispatcher: its teams' zones), counted per cell of about
-- p_cell_m metres: bands of p_cell_m metres of latitude, each cut into cells
-- of p_cell_m metres of longitude at the band's middle. The p_max_cells
-- fullest cells, fullest first; total counts every pickup.
CREATE OR REPLACE FUNCTION dispatch.report_demand(p_actor jsonb, p_from timestamptz,
                                                  p_to timestamptz, p_cell_m integer,
                                                  p_max_cells integer)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  WITH s AS (SELECT dispatch.scope_zones(p_actor) AS zones, p_cell_m / 111320.0 AS dlat),
  band AS MATERIALIZED (
    SELECT floor(o.pickup_lat / s.dlat)::bigint AS y, o.pickup_lon, s.dlat
    FROM dispatch.orders o, s
    WHERE o.created_at >= p_from AND o.created_at < p_to
      AND (s.zones IS NULL OR o.zone_id = ANY (s.zones))
  ),
  cell AS (
    SELECT b.y, floor(b.pickup_lon / w.dlon)::bigint AS x, b.dlat, w.dlon, count(*) AS n
    FROM band b,
         LATERAL (SELECT p_cell_m / (111320.0 * greatest(cos(radians((b.y + 0.5) * b.dlat)),
                                                        0.01)) AS dlon) w
    GROUP BY b.y, 2, b.dlat, w.dlon
  ),
  top AS (SELECT * FROM cell ORDER BY n DESC, y, x LIMIT p_max_cells)
  SELECT jsonb_build_object(
    'from', dispatch.ts_json(p_from),
    'to', dispatch.ts_json(p_to),
    'cell_m', p_cell_m,
    'total', (SELECT count(*) FROM band),
    'truncated', (SELECT count(*) FROM cell) > p_max_cells,
    'cells', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                'bbox', jsonb_build_array(round((t.y * t.dlat)::numeric, 6),
                                                          round((t.x * t.dlon)::numeric, 6),
                                                          round(((t.y + 1) * t.dlat)::numeric, 6),
                                                          round(((t.x + 1) * t.dlon)::numeric, 6)),
                                'count', t.n) ORDER BY t.n DESC, t.y, t.x)
                       FROM top t), '[]'::jsonb))
$$;
