/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "dc-json.h"
#include "dc-replay-model.h"

/* A driver's or an order's frames, oldest first. */
typedef struct
{
  char   *id;
  GArray *frames;   /* DcReplayPoint or DcReplayOrderState */
} Track;

struct _DcReplayModel
{
  gint64      from;
  gint64      to;
  gint64      last_t;
  GPtrArray  *drivers;        /* Track of DcReplayPoint */
  GPtrArray  *orders;         /* Track of DcReplayOrderState */
  GHashTable *driver_index;   /* id → index + 1 */
  GHashTable *order_index;
};

static const char * const status_names[DC_REPLAY_N_STATUSES] = {
  "pending", "assigned", "picked_up", "delivered", "failed", "cancelled",
};

static void
track_free (Track *track)
{
  g_free (track->id);
  g_array_unref (track->frames);
  g_free (track);
}

DcReplayModel *
dc_replay_model_new (gint64 from,
                     gint64 to)
{
  DcReplayModel *self = g_new0 (DcReplayModel, 1);

  self->from = from;
  self->to = to;
  self->last_t = G_MININT64;
  self->drivers = g_ptr_array_new_with_free_func ((GDestroyNotify) track_free);
  self->orders = g_ptr_array_new_with_free_func ((GDestroyNotify) track_free);
  self->driver_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->order_index = g_hash_table_new (g_str_hash, g_str_equal);

  return self;
}

void
dc_replay_model_free (DcReplayModel *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->driver_index);
  g_hash_table_unref (self->order_index);
  g_ptr_array_unref (self->drivers);
  g_ptr_array_unref (self->orders);
  g_free (self);
}

/* The index of the track of @id in @tracks, added when new. */
static guint
track_of (GPtrArray  *tracks,
          GHashTable *index,
          const char *id,
          gsize       frame_size)
{
  gpointer found = g_hash_table_lookup (index, id);
  Track *track;

  if (found != NULL)
    return GPOINTER_TO_UINT (found) - 1;

  track = g_new0 (Track, 1);
  track->id = g_strdup (id);
  track->frames = g_array_new (FALSE, FALSE, frame_size);
  g_ptr_array_add (tracks, track);
  g_hash_table_insert (index, track->id, GUINT_TO_POINTER (tracks->len));
  return tracks->len - 1;
}

static gboolean
read_place (JsonObject *frame,
            const char *member,
            double     *lat,
            double     *lon)
{
  JsonObject *place = dc_json_object (frame, member);

  if (place == NULL)
    return FALSE;
  *lat = dc_json_double (place, "lat", NAN);
  *lon = dc_json_double (place, "lon", NAN);
  return !isnan (*lat) && !isnan (*lon);
}

static gboolean
add_order (DcReplayModel *self,
           JsonObject    *frame,
           gint64         t)
{
  const char *id = dc_json_string (frame, "order_id");
  const char *status = dc_json_string (frame, "status");
  const char *driver = dc_json_string (frame, "driver_id");
  DcReplayOrderState state = { t, DC_REPLAY_N_STATUSES, -1 };
  guint index;

  for (guint i = 0; status != NULL && i < DC_REPLAY_N_STATUSES; i++)
    if (g_str_equal (status, status_names[i]))
      state.status = i;
  if (id == NULL || state.status == DC_REPLAY_N_STATUSES ||
      !read_place (frame, "pickup", &state.pickup_lat, &state.pickup_lon) ||
      !read_place (frame, "dropoff", &state.dropoff_lat, &state.dropoff_lon))
    return FALSE;
  if (driver != NULL)
    state.driver = track_of (self->drivers, self->driver_index, driver, sizeof (DcReplayPoint));

  index = track_of (self->orders, self->order_index, id, sizeof (DcReplayOrderState));
  g_array_append_val (((Track *) g_ptr_array_index (self->orders, index))->frames, state);
  return TRUE;
}

static gboolean
add_position (DcReplayModel *self,
              JsonObject    *frame,
              gint64         t)
{
  const char *driver = dc_json_string (frame, "driver_id");
  DcReplayPoint point = { t, dc_json_double (frame, "lat", NAN),
                          dc_json_double (frame, "lon", NAN) };
  guint index;

  if (driver == NULL || isnan (point.lat) || isnan (point.lon))
    return FALSE;
  index = track_of (self->drivers, self->driver_index, driver, sizeof (DcReplayPoint));
  g_array_append_val (((Track *) g_ptr_array_index (self->drivers, index))->frames, point);
  return TRUE;
}

gboolean
dc_replay_model_add_frame (DcReplayModel  *self,
                           JsonObject     *frame,
                           GError        **error)
{
  gint64 t = dc_json_timestamp (frame, "t");
  const char *type = dc_json_string (frame, "type");
  gboolean read = FALSE;

  if (t != 0 && t < self->last_t)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The server sent the history out of order"));
      return FALSE;
    }
  if (t != 0 && g_strcmp0 (type, "order") == 0)
    read = add_order (self, frame, t);
  else if (t != 0 && g_strcmp0 (type, "position") == 0)
    read = add_position (self, frame, t);
  else if (t != 0 && type != NULL)
    return TRUE;  /* a kind of frame this console does not know yet */
  if (!read)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The server sent a history frame that could not be read"));
      return FALSE;
    }
  self->last_t = t;
  return TRUE;
}

DcReplayModel *
dc_replay_model_new_from_history (JsonObject  *history,
                                  GError     **error)
{
  gint64 from = dc_json_timestamp (history, "from");
  gint64 to = dc_json_timestamp (history, "to");
  JsonArray *frames = dc_json_array (history, "frames");
  g_autoptr(DcReplayModel) self = NULL;

  if (from == 0 || to <= from || frames == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The server’s answer is not a history"));
      return NULL;
    }
  self = dc_replay_model_new (from, to);
  for (guint i = 0; i < json_array_get_length (frames); i++)
    {
      JsonNode *node = json_array_get_element (frames, i);

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The server sent a history frame that could not be read"));
          return NULL;
        }
      if (!dc_replay_model_add_frame (self, json_node_get_object (node), error))
        return NULL;
    }
  return g_steal_pointer (&self);
}

gint64
dc_replay_model_get_from (DcReplayModel *self)
{
  return self->from;
}

gint64
dc_replay_model_get_to (DcReplayModel *self)
{
  return self->to;
}

guint
dc_replay_model_get_n_drivers (DcReplayModel *self)
{
  return self->drivers->len;
}

guint
dc_replay_model_get_n_orders (DcReplayModel *self)
{
  return self->orders->len;
}

const char *
dc_replay_model_get_driver_id (DcReplayModel *self,
                               guint          driver)
{
  g_return_val_if_fail (driver < self->drivers->len, NULL);

  return ((Track *) g_ptr_array_index (self->drivers, driver))->id;
}

const char *
dc_replay_model_get_order_id (DcReplayModel *self,
                              guint          order)
{
  g_return_val_if_fail (order < self->orders->len, NULL);

  return ((Track *) g_ptr_array_index (self->orders, order))->id;
}

/* How many frames of @frames (each starting with its gint64 time) are at or
 * before @t: a binary search. */
static guint
frames_until (GArray *frames,
              gint64  t)
{
  guint size = g_array_get_element_size (frames);
  guint low = 0;
  guint high = frames->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;
      gint64 at = *(const gint64 *) (frames->data + (gsize) middle * size);

      if (at <= t)
        low = middle + 1;
      else
        high = middle;
    }
  return low;
}

guint
dc_replay_model_get_trail (DcReplayModel        *self,
                           guint                 driver,
                           gint64                t,
                           gint64                trail,
                           const DcReplayPoint **points)
{
  GArray *frames;
  guint end;
  guint start;

  g_return_val_if_fail (driver < self->drivers->len, 0);

  frames = ((Track *) g_ptr_array_index (self->drivers, driver))->frames;
  end = frames_until (frames, t);
  start = frames_until (frames, t - trail - 1);
  if (end == 0)
    return 0;
  /* the position at t is the last one known, however old */
  start = MIN (start, end - 1);
  *points = &g_array_index (frames, DcReplayPoint, start);
  return end - start;
}

const DcReplayOrderState *
dc_replay_model_get_order_at (DcReplayModel *self,
                              guint          order,
                              gint64         t)
{
  GArray *frames;
  guint n;

  g_return_val_if_fail (order < self->orders->len, NULL);

  frames = ((Track *) g_ptr_array_index (self->orders, order))->frames;
  n = frames_until (frames, t);
  return n == 0 ? NULL : &g_array_index (frames, DcReplayOrderState, n - 1);
}

void
dc_replay_model_count_at (DcReplayModel *self,
                          gint64         t,
                          guint         *counts)
{
  memset (counts, 0, sizeof (guint) * DC_REPLAY_N_STATUSES);
  for (guint i = 0; i < self->orders->len; i++)
    {
      const DcReplayOrderState *state = dc_replay_model_get_order_at (self, i, t);

      if (state != NULL)
        counts[state->status]++;
    }
}
