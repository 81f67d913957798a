/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "dc-format.h"
#include "dc-heat-layer.h"
#include "dc-json.h"
#include "dc-projection.h"

/* a cell is drawn at least this big, so that a lone pickup shows when
 * zoomed out */
#define MIN_CELL_PX 3.0

typedef struct
{
  /* world units (dc-projection.h): north-west and south-east corners */
  double left, top, right, bottom;
  double share;  /* of the fullest cell, 0..1 */
} Cell;

struct _DcHeatLayer
{
  ShumateLayer parent_instance;

  DcClient *client;
  GArray *cells;
  gint64 total;
  char *status;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (DcHeatLayer, dc_heat_layer, SHUMATE_TYPE_LAYER)

enum {
  PROP_0,
  PROP_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_status (DcHeatLayer *self,
            const char  *status)
{
  if (g_strcmp0 (self->status, status) == 0)
    return;
  g_free (self->status);
  self->status = g_strdup (status);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

/* Yellow, through orange, to red; more opaque as it fills. */
static void
cell_color (double   share,
            GdkRGBA *color)
{
  double t = sqrt (CLAMP (share, 0, 1));

  color->red = 1;
  color->green = 0.85 * (1 - t);
  color->blue = 0.1 * (1 - t);
  color->alpha = 0.25 + 0.45 * t;
}

static void
dc_heat_layer_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  DcHeatLayer *self = DC_HEAT_LAYER (widget);
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (self));
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double rotation = shumate_viewport_get_rotation (viewport);
  DcProjection projection;

  if (self->cells->len == 0 || !dc_projection_init (&projection, viewport, widget))
    return;

  /* Cells are drawn as rectangles of the unrotated map, the map's rotation
   * applied to the whole layer. */
  projection.cos_rotation = 1;
  projection.sin_rotation = 0;
  gtk_snapshot_save (snapshot);
  if (rotation != 0)
    {
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (width / 2, height / 2));
      gtk_snapshot_rotate (snapshot, rotation * 180 / G_PI);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (-width / 2, -height / 2));
    }

  for (guint i = 0; i < self->cells->len; i++)
    {
      const Cell *cell = &g_array_index (self->cells, Cell, i);
      double x0, y0, x1, y1;
      GdkRGBA color;

      dc_projection_to_widget (&projection, cell->left, cell->top, &x0, &y0);
      dc_projection_to_widget (&projection, cell->right, cell->bottom, &x1, &y1);
      if (x1 - x0 < MIN_CELL_PX)
        {
          x0 -= (MIN_CELL_PX - (x1 - x0)) / 2;
          x1 = x0 + MIN_CELL_PX;
        }
      if (y1 - y0 < MIN_CELL_PX)
        {
          y0 -= (MIN_CELL_PX - (y1 - y0)) / 2;
          y1 = y0 + MIN_CELL_PX;
        }
      cell_color (cell->share, &color);
      gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (x0, y0, x1 - x0, y1 - y0));
    }
  gtk_snapshot_restore (snapshot);
}

static void
demand_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DcHeatLayer) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  JsonArray *cells;
  double fullest = 1;

  answer = dc_client_request_finish (DC_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  if (answer == NULL || (cells = dc_json_array (answer, "cells")) == NULL)
    {
      set_status (self, error != NULL ? dc_format_error (error)
                                      : _("The server could not handle the request"));
      return;
    }

  g_array_set_size (self->cells, 0);
  for (guint i = 0; i < json_array_get_length (cells); i++)
    fullest = MAX (fullest, dc_json_double (json_array_get_object_element (cells, i),
                                            "count", 0));
  for (guint i = 0; i < json_array_get_length (cells); i++)
    {
      JsonObject *object_cell = json_array_get_object_element (cells, i);
      JsonArray *bbox = dc_json_array (object_cell, "bbox");
      Cell cell;

      if (bbox == NULL || json_array_get_length (bbox) != 4)
        continue;
      dc_projection_world_from_location (json_array_get_double_element (bbox, 2),
                                         json_array_get_double_element (bbox, 1),
                                         &cell.left, &cell.top);
      dc_projection_world_from_location (json_array_get_double_element (bbox, 0),
                                         json_array_get_double_element (bbox, 3),
                                         &cell.right, &cell.bottom);
      cell.share = dc_json_double (object_cell, "count", 0) / fullest;
      g_array_append_val (self->cells, cell);
    }
  self->total = (gint64) dc_json_double (answer, "total", 0);

  status = g_strdup_printf (ngettext ("%u pickup", "%u pickups", (gulong) self->total),
                            (guint) self->total);
  set_status (self, status);
  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dc_heat_layer_load (DcHeatLayer *self,
                    guint        days)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) from = g_date_time_add_days (now, -(int) days);
  g_autoptr(GDateTime) to = g_date_time_add_minutes (now, 1);
  g_autofree char *from_text = g_date_time_format (from, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *to_text = g_date_time_format (to, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *path = NULL;

  g_return_if_fail (DC_IS_HEAT_LAYER (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_status (self, _("Loading…"));

  path = g_strdup_printf ("/api/v1/reports/demand?from=%s&to=%s", from_text, to_text);
  dc_client_request_async (self->client, "GET", path, NULL, self->cancellable, demand_cb,
                           g_object_ref (self));
}

void
dc_heat_layer_clear (DcHeatLayer *self)
{
  g_return_if_fail (DC_IS_HEAT_LAYER (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_array_set_size (self->cells, 0);
  self->total = -1;
  set_status (self, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

const char *
dc_heat_layer_get_status (DcHeatLayer *self)
{
  g_return_val_if_fail (DC_IS_HEAT_LAYER (self), NULL);

  return self->status;
}

gint64
dc_heat_layer_get_total (DcHeatLayer *self)
{
  g_return_val_if_fail (DC_IS_HEAT_LAYER (self), -1);

  return self->total;
}

guint
dc_heat_layer_get_n_cells (DcHeatLayer *self)
{
  g_return_val_if_fail (DC_IS_HEAT_LAYER (self), 0);

  return self->cells->len;
}

static void
dc_heat_layer_constructed (GObject *object)
{
  G_OBJECT_CLASS (dc_heat_layer_parent_class)->constructed (object);

  g_signal_connect_object (shumate_layer_get_viewport (SHUMATE_LAYER (object)), "notify",
                           G_CALLBACK (gtk_widget_queue_draw), object, G_CONNECT_SWAPPED);
}

static void
dc_heat_layer_dispose (GObject *object)
{
  DcHeatLayer *self = DC_HEAT_LAYER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (dc_heat_layer_parent_class)->dispose (object);
}

static void
dc_heat_layer_finalize (GObject *object)
{
  DcHeatLayer *self = DC_HEAT_LAYER (object);

  g_array_unref (self->cells);
  g_free (self->status);

  G_OBJECT_CLASS (dc_heat_layer_parent_class)->finalize (object);
}

static void
dc_heat_layer_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DcHeatLayer *self = DC_HEAT_LAYER (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_heat_layer_class_init (DcHeatLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = dc_heat_layer_constructed;
  object_class->dispose = dc_heat_layer_dispose;
  object_class->finalize = dc_heat_layer_finalize;
  object_class->get_property = dc_heat_layer_get_property;
  GTK_WIDGET_CLASS (klass)->snapshot = dc_heat_layer_snapshot;

  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dc_heat_layer_init (DcHeatLayer *self)
{
  self->cells = g_array_new (FALSE, FALSE, sizeof (Cell));
  self->total = -1;
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

DcHeatLayer *
dc_heat_layer_new (ShumateViewport *viewport,
                   DcClient        *client)
{
  DcHeatLayer *self = g_object_new (DC_TYPE_HEAT_LAYER, "viewport", viewport, NULL);

  self->client = g_object_ref (client);
  return self;
}
