/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include <math.h>

#include "dispatch-geo.h"
#include "dsd-geo-grid.h"

#define N_ROWS ((gint64) (180.0 / DSD_GEO_GRID_CELL_DEG + 0.5))
#define N_COLS ((gint64) (360.0 / DSD_GEO_GRID_CELL_DEG + 0.5))
/* ≈ 0.1 mm: rounding never leaves a point on the circle's edge outside the box. */
#define SLACK_DEG 1e-9
#define DEG(rad) ((rad) * 180.0 / G_PI)
#define RAD(deg) ((deg) * G_PI / 180.0)

typedef struct {
  gint64     key;   /* row * N_COLS + col; the hash table's key points here */
  GPtrArray *items;
} Cell;

struct _DsdGeoGrid {
  GHashTable *cells;
  guint       n_items;
};

/* The cells a query covers: rows row_lo..row_hi, and n_cols columns from
 * col_lo on, wrapping around the antimeridian. */
typedef struct {
  double         lat;
  double         lon;
  double         radius_m;
  double         lat_lo;
  double         lat_hi;
  gint64         row_lo;
  gint64         row_hi;
  gint64         col_lo;
  gint64         n_cols;
  DsdGeoGridFunc func;
  gpointer       user_data;
} Query;

static gint64
row_of (double lat)
{
  return CLAMP ((gint64) floor ((lat + 90.0) / DSD_GEO_GRID_CELL_DEG), 0, N_ROWS - 1);
}

/* Monotonic in lon, so the columns of a box bound the columns of what is in it. */
static gint64
raw_col_of (double lon)
{
  return (gint64) floor ((lon + 180.0) / DSD_GEO_GRID_CELL_DEG);
}

static gint64
wrap_col (gint64 col)
{
  gint64 wrapped = col % N_COLS;

  return wrapped < 0 ? wrapped + N_COLS : wrapped;
}

static gint64
key_of (double lat,
        double lon)
{
  return row_of (lat) * N_COLS + wrap_col (raw_col_of (lon));
}

static void
cell_free (Cell *cell)
{
  g_ptr_array_unref (cell->items);
  g_free (cell);
}

static void
detach (DsdGeoGrid     *self,
        DsdGeoGridItem *item)
{
  Cell *cell = item->cell;
  DsdGeoGridItem *last;

  last = g_ptr_array_index (cell->items, cell->items->len - 1);
  cell->items->pdata[item->slot] = last;
  last->slot = item->slot;
  g_ptr_array_set_size (cell->items, cell->items->len - 1);
  item->cell = NULL;

  if (cell->items->len == 0)
    g_hash_table_remove (self->cells, &cell->key);
}

static void
attach (DsdGeoGrid     *self,
        DsdGeoGridItem *item,
        gint64          key)
{
  Cell *cell = g_hash_table_lookup (self->cells, &key);

  if (cell == NULL)
    {
      cell = g_new0 (Cell, 1);
      cell->key = key;
      cell->items = g_ptr_array_new ();
      g_hash_table_add (self->cells, cell);
    }

  item->cell = cell;
  item->slot = cell->items->len;
  g_ptr_array_add (cell->items, item);
}

/* FALSE when the callback asked to stop. */
static gboolean
scan_cell (const Query *query,
           Cell        *cell)
{
  for (guint i = 0; i < cell->items->len; i++)
    {
      DsdGeoGridItem *item = g_ptr_array_index (cell->items, i);
      double distance;

      if (item->lat < query->lat_lo || item->lat > query->lat_hi)
        continue;

      distance = dispatch_haversine_m (query->lat, query->lon, item->lat, item->lon);
      if (distance <= query->radius_m &&
          !query->func (item, distance, query->user_data))
        return FALSE;
    }

  return TRUE;
}

static gboolean
covers (const Query *query,
        gint64       key)
{
  gint64 row = key / N_COLS;
  gint64 col = key % N_COLS;

  return row >= query->row_lo && row <= query->row_hi &&
         wrap_col (col - query->col_lo) < query->n_cols;
}

static void
scan_occupied_cells (DsdGeoGrid  *self,
                     const Query *query)
{
  GHashTableIter iter;
  gpointer cell;

  g_hash_table_iter_init (&iter, self->cells);
  while (g_hash_table_iter_next (&iter, &cell, NULL))
    {
      if (covers (query, ((Cell *) cell)->key) && !scan_cell (query, cell))
        return;
    }
}

static void
scan_box (DsdGeoGrid  *self,
          const Query *query)
{
  for (gint64 row = query->row_lo; row <= query->row_hi; row++)
    {
      for (gint64 i = 0; i < query->n_cols; i++)
        {
          gint64 key = row * N_COLS + wrap_col (query->col_lo + i);
          Cell *cell = g_hash_table_lookup (self->cells, &key);

          if (cell != NULL && !scan_cell (query, cell))
            return;
        }
    }
}

DsdGeoGrid *
dsd_geo_grid_new (void)
{
  DsdGeoGrid *self = g_new0 (DsdGeoGrid, 1);

  /* The key is the first member of Cell: the cell is its own key. */
  self->cells = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                       (GDestroyNotify) cell_free, NULL);
  return self;
}

void
dsd_geo_grid_free (DsdGeoGrid *self)
{
  g_clear_pointer (&self->cells, g_hash_table_unref);
  g_free (self);
}

void
dsd_geo_grid_place (DsdGeoGrid     *self,
                    DsdGeoGridItem *item,
                    double          lat,
                    double          lon)
{
  gint64 key;

  g_return_if_fail (self != NULL);
  g_return_if_fail (item != NULL);
  g_return_if_fail (dispatch_lat_lon_is_valid (lat, lon));

  key = key_of (lat, lon);
  item->lat = lat;
  item->lon = lon;

  if (item->cell != NULL && ((Cell *) item->cell)->key == key)
    return;

  if (item->cell != NULL)
    detach (self, item);
  else
    self->n_items++;

  attach (self, item, key);
}

guint
dsd_geo_grid_get_n_items (DsdGeoGrid *self)
{
  return self->n_items;
}

guint
dsd_geo_grid_get_n_cells (DsdGeoGrid *self)
{
  return g_hash_table_size (self->cells);
}

void
dsd_geo_grid_query (DsdGeoGrid     *self,
                    double          lat,
                    double          lon,
                    double          radius_m,
                    DsdGeoGridFunc  func,
                    gpointer        user_data)
{
  double angular;
  gboolean every_lon;
  Query query = {
    .lat = lat,
    .lon = lon,
    .radius_m = MAX (radius_m, 0.0),
    .func = func,
    .user_data = user_data,
  };

  g_return_if_fail (self != NULL);
  g_return_if_fail (dispatch_lat_lon_is_valid (lat, lon));
  g_return_if_fail (func != NULL);

  angular = MIN (query.radius_m / DISPATCH_EARTH_RADIUS_M, G_PI);
  query.lat_lo = lat - DEG (angular) - SLACK_DEG;
  query.lat_hi = lat + DEG (angular) + SLACK_DEG;
  query.row_lo = row_of (query.lat_lo);
  query.row_hi = row_of (query.lat_hi);

  /* Reaching a pole, the circle spans every longitude. */
  every_lon = query.lat_lo <= -90.0 || query.lat_hi >= 90.0;
  if (!every_lon)
    {
      /* The tangent meridians; sin (angular) < cos (lat) without a pole inside. */
      double dlon = DEG (asin (sin (angular) / cos (RAD (lat)))) + SLACK_DEG;

      query.col_lo = raw_col_of (lon - dlon);
      query.n_cols = raw_col_of (lon + dlon) - query.col_lo + 1;
      every_lon = query.n_cols >= N_COLS;
    }
  if (every_lon)
    {
      query.col_lo = 0;
      query.n_cols = N_COLS;
    }

  if ((query.row_hi - query.row_lo + 1) * query.n_cols > g_hash_table_size (self->cells))
    scan_occupied_cells (self, &query);
  else
    scan_box (self, &query);
}
