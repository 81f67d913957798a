/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-driver-layer.h"
#include "dc-grid-layer.h"
#include "dc-heat-layer.h"
#include "dc-json.h"
#include "dc-map-view.h"
#include "dc-order-layer.h"
#include "dc-path-layer.h"
#include "dc-template.h"

#define VIEWPORT_DEBOUNCE_MS 250
#define PICK_RADIUS          12.0
#define DROP_RADIUS          28.0
#define PROBE_RETRY_S        60
#define SELECTION_ZOOM       14.0
#define OSM_TILE_URL         "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

struct _DcMapView
{
  GtkWidget parent_instance;

  DcContext *context;

  /* template */
  ShumateMap *map;
  ShumateScale *scale;
  ShumateLicense *license;
  GtkWidget *tiles_hint;
  GtkSwitch *heat_switch;
  GtkDropDown *heat_period;
  GtkLabel *heat_status;

  /* layers, bottom to top */
  DcGridLayer *grid_layer;
  ShumateMapSource *tile_source;
  ShumateMapLayer *tile_layer;
  DcHeatLayer *heat_layer;
  DcPathLayer *trail_layer;
  DcPathLayer *route_layer;
  DcOrderLayer *order_layer;
  DcDriverLayer *driver_layer;
  ShumateLayer *replay_layer;   /* in replay, instead of the four above */

  /* the selection and what its route depends on */
  DcOrder *order;
  DcDriver *route_driver;
  GSignalGroup *order_signals;
  GSignalGroup *driver_signals;
  GCancellable *trail_cancellable;

  guint viewport_source;
  int allocated_width;
  int allocated_height;

  /* tile server reachability */
  GCancellable *probe_cancellable;
  guint probe_source;

  /* the next click picks a place (::place-picked), not a marker */
  gboolean picking_place;
};

G_DEFINE_FINAL_TYPE (DcMapView, dc_map_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  PLACE_PICKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void probe_tiles (DcMapView *self);

static gboolean
probe_retry_cb (gpointer user_data)
{
  DcMapView *self = user_data;

  self->probe_source = 0;
  probe_tiles (self);

  return G_SOURCE_REMOVE;
}

static void
probe_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DcMapView) self = user_data;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessage *message;
  gboolean reachable;

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  reachable = stream != NULL && SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message));
  gtk_widget_set_visible (self->tiles_hint, !reachable);

  if (stream != NULL)
    g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (!reachable)
    self->probe_source = g_timeout_add_seconds (PROBE_RETRY_S, probe_retry_cb, self);
}

/* ShumateMapLayer says nothing about tiles that fail, so ask the tile server
 * for the world tile ourselves and tell the dispatcher when it is away. */
static void
probe_tiles (DcMapView *self)
{
  g_autofree char *template = g_settings_get_string (dc_context_get_settings (self->context),
                                                     "tile-url");
  g_autoptr(GString) url = g_string_new (template);
  g_autoptr(SoupMessage) message = NULL;

  g_cancellable_cancel (self->probe_cancellable);
  g_clear_object (&self->probe_cancellable);
  g_clear_handle_id (&self->probe_source, g_source_remove);

  g_string_replace (url, "{z}", "0", 0);
  g_string_replace (url, "{x}", "0", 0);
  g_string_replace (url, "{y}", "0", 0);
  if (!(message = soup_message_new (SOUP_METHOD_GET, url->str)))
    {
      gtk_widget_set_visible (self->tiles_hint, TRUE);
      return;
    }

  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "User-Agent", shumate_get_user_agent ());
  self->probe_cancellable = g_cancellable_new ();
  soup_session_send_async (dc_client_get_soup_session (dc_context_get_client (self->context)),
                           message, G_PRIORITY_LOW, self->probe_cancellable,
                           probe_cb, g_object_ref (self));
}

static void
tile_url_changed_cb (DcMapView *self)
{
  g_autofree char *url = g_settings_get_string (dc_context_get_settings (self->context),
                                                "tile-url");
  ShumateViewport *viewport = shumate_map_get_viewport (self->map);
  gboolean osm = g_str_equal (url, OSM_TILE_URL);
  ShumateMapSource *source;
  ShumateMapLayer *layer;

  source = SHUMATE_MAP_SOURCE (shumate_raster_renderer_new_full_from_url (
    osm ? "osm-mapnik" : "custom",
    osm ? "OpenStreetMap" : _("Custom tiles"),
    osm ? "© OpenStreetMap contributors" : "",
    osm ? "https://www.openstreetmap.org/copyright" : "",
    0, 19, 256, SHUMATE_MAP_PROJECTION_MERCATOR, url));
  layer = shumate_map_layer_new (source, viewport);

  shumate_viewport_set_reference_map_source (viewport, source);
  shumate_map_set_map_source (self->map, source);
  shumate_map_insert_layer_above (self->map, SHUMATE_LAYER (layer),
                                  SHUMATE_LAYER (self->grid_layer));

  if (self->tile_layer != NULL)
    {
      shumate_map_remove_layer (self->map, SHUMATE_LAYER (self->tile_layer));
      shumate_license_remove_map_source (self->license, self->tile_source);
    }
  g_set_object (&self->tile_source, source);
  self->tile_layer = layer;
  shumate_license_append_map_source (self->license, source);
  g_object_unref (source);

  probe_tiles (self);
}

static gboolean
viewport_settled_cb (gpointer user_data)
{
  DcMapView *self = user_data;
  ShumateViewport *viewport = shumate_map_get_viewport (self->map);
  GtkWidget *widget = GTK_WIDGET (self->map);
  DispatchBBox bbox;
  double lat0, lon0, lat1, lon1;

  self->viewport_source = 0;

  /* Not on screen yet (signed out): no area to ask for. */
  if (gtk_widget_get_width (widget) == 0 || gtk_widget_get_height (widget) == 0)
    return G_SOURCE_REMOVE;

  shumate_viewport_widget_coords_to_location (viewport, widget, 0, 0, &lat0, &lon0);
  shumate_viewport_widget_coords_to_location (viewport, widget,
                                              gtk_widget_get_width (widget),
                                              gtk_widget_get_height (widget), &lat1, &lon1);
  bbox.min_lat = MIN (lat0, lat1);
  bbox.max_lat = MAX (lat0, lat1);
  bbox.min_lon = MIN (lon0, lon1);
  bbox.max_lon = MAX (lon0, lon1);
  dc_stream_set_viewport (dc_context_get_stream (self->context), &bbox);

  g_settings_set (dc_context_get_settings (self->context), "map-view", "(ddd)",
                  shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                  shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                  shumate_viewport_get_zoom_level (viewport));

  return G_SOURCE_REMOVE;
}

static void
viewport_changed_cb (DcMapView *self)
{
  g_clear_handle_id (&self->viewport_source, g_source_remove);
  self->viewport_source = g_timeout_add (VIEWPORT_DEBOUNCE_MS, viewport_settled_cb, self);
}

#define MIN_WIDTH 360

static void
dc_map_view_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  gtk_widget_measure (gtk_widget_get_first_child (widget), orientation, for_size,
                      minimum, natural, minimum_baseline, natural_baseline);

  /* Never a sliver: the lists fold away and the details go over the map
   * before the map gets narrower than this. */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = MAX (*minimum, MIN_WIDTH);
      *natural = MAX (*natural, MIN_WIDTH);
    }
}

/* Allocated by hand rather than by a layout manager: the visible area also
 * changes with the size, not only with the viewport. */
static void
dc_map_view_size_allocate (GtkWidget *widget,
                           int        width,
                           int        height,
                           int        baseline)
{
  DcMapView *self = DC_MAP_VIEW (widget);

  gtk_widget_allocate (gtk_widget_get_first_child (widget), width, height, baseline, NULL);

  if (width != self->allocated_width || height != self->allocated_height)
    {
      self->allocated_width = width;
      self->allocated_height = height;
      viewport_changed_cb (self);
    }
}

static void
update_route (DcMapView *self)
{
  double lat, lon;

  dc_path_layer_clear (self->route_layer);
  if (self->order == NULL)
    return;

  if (self->route_driver != NULL && dc_driver_has_location (self->route_driver))
    dc_path_layer_add_point (self->route_layer, dc_driver_get_lat (self->route_driver),
                             dc_driver_get_lon (self->route_driver));
  if (dc_order_get_status (self->order) != DISPATCH_ORDER_PICKED_UP)
    {
      dc_order_get_pickup (self->order, &lat, &lon);
      dc_path_layer_add_point (self->route_layer, lat, lon);
    }
  dc_order_get_dropoff (self->order, &lat, &lon);
  dc_path_layer_add_point (self->route_layer, lat, lon);
}

static void
trail_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DcMapView) self = user_data;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *points;
  guint n;

  response = dc_client_request_finish (DC_CLIENT (object), result, &error);
  if (response == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No trail: %s", error->message);
      return;
    }

  points = dc_json_array (response, "points");
  n = points != NULL ? json_array_get_length (points) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (points, i);
      JsonObject *point;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      point = json_node_get_object (node);
      dc_path_layer_add_point (self->trail_layer, dc_json_double (point, "lat", 0),
                               dc_json_double (point, "lon", 0));
    }
}

static void
set_route_driver (DcMapView *self,
                  DcDriver  *driver)
{
  g_autofree char *path = NULL;

  if (self->route_driver == driver)
    return;

  g_set_object (&self->route_driver, driver);
  g_signal_group_set_target (self->driver_signals, driver);

  g_cancellable_cancel (self->trail_cancellable);
  g_clear_object (&self->trail_cancellable);
  dc_path_layer_clear (self->trail_layer);
  if (driver == NULL)
    return;

  self->trail_cancellable = g_cancellable_new ();
  path = g_strdup_printf ("/api/v1/drivers/%s/trail", dc_entity_get_id (DC_ENTITY (driver)));
  dc_client_request_async (dc_context_get_client (self->context), "GET", path, NULL,
                           self->trail_cancellable, trail_cb, g_object_ref (self));
}

static void
order_driver_changed_cb (DcMapView *self)
{
  DcEntity *driver = NULL;

  if (self->order != NULL)
    driver = dc_store_lookup (dc_context_get_drivers (self->context),
                              dc_order_get_driver_id (self->order));

  set_route_driver (self, driver ? DC_DRIVER (driver) : NULL);
  update_route (self);
}

static gboolean
pick (DcMapView *self,
      double     x,
      double     y)
{
  DcEntity *entity;

  if ((entity = dc_point_layer_pick (DC_POINT_LAYER (self->driver_layer), x, y, PICK_RADIUS)))
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "win.select-driver", "s",
                                  dc_entity_get_id (entity));
      return TRUE;
    }

  if ((entity = dc_point_layer_pick (DC_POINT_LAYER (self->order_layer), x, y, PICK_RADIUS)))
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "win.select-order", "s",
                                  dc_entity_get_id (entity));
      return TRUE;
    }

  return FALSE;
}

static void
click_released_cb (DcMapView       *self,
                   int              n_press,
                   double           x,
                   double           y,
                   GtkGestureClick *gesture)
{
  double lat, lon;

  if (n_press != 1)
    return;

  if (!self->picking_place)
    {
      pick (self, x, y);
      return;
    }

  shumate_viewport_widget_coords_to_location (shumate_map_get_viewport (self->map),
                                              GTK_WIDGET (self->map), x, y, &lat, &lon);
  dc_map_view_set_picking_place (self, FALSE);
  g_signal_emit (self, signals[PLACE_PICKED], 0, lat, lon);
}

static gboolean
drop_cb (DcMapView     *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  DcEntity *driver;

  driver = dc_point_layer_pick (DC_POINT_LAYER (self->driver_layer), x, y, DROP_RADIUS);
  if (driver == NULL)
    return FALSE;

  gtk_widget_activate_action (GTK_WIDGET (self), "win.assign-order", "(ss)",
                              g_value_get_string (value), dc_entity_get_id (driver));
  return TRUE;
}

static void
zoom_in_cb (DcMapView *self)
{
  shumate_map_zoom_in (self->map);
}

static void
zoom_out_cb (DcMapView *self)
{
  shumate_map_zoom_out (self->map);
}

static void
heat_changed_cb (DcMapView *self)
{
  static const guint days[] = { 1, 7, 30 };
  guint period = gtk_drop_down_get_selected (self->heat_period);

  if (gtk_switch_get_active (self->heat_switch))
    dc_heat_layer_load (self->heat_layer, days[MIN (period, G_N_ELEMENTS (days) - 1)]);
  else
    dc_heat_layer_clear (self->heat_layer);
}

/* The next user's scope may be another: the heat goes with the session. */
static void
authenticated_cb (DcMapView *self)
{
  if (!dc_client_get_authenticated (dc_context_get_client (self->context)))
    gtk_switch_set_active (self->heat_switch, FALSE);
}

static void
setup_layers (DcMapView *self)
{
  ShumateViewport *viewport = shumate_map_get_viewport (self->map);
  static const GdkRGBA route_color = { 0.208, 0.518, 0.894, 1 };
  static const GdkRGBA trail_color = { 0.569, 0.255, 0.675, 0.75 };
  double lat, lon, zoom;

  self->grid_layer = dc_grid_layer_new (viewport);
  self->heat_layer = dc_heat_layer_new (viewport, dc_context_get_client (self->context));
  self->trail_layer = dc_path_layer_new (viewport, &trail_color, 3);
  self->route_layer = dc_path_layer_new (viewport, &route_color, 4);
  self->order_layer = dc_order_layer_new (viewport, dc_context_get_orders (self->context));
  self->driver_layer = dc_driver_layer_new (viewport, dc_context_get_drivers (self->context));

  shumate_map_add_layer (self->map, SHUMATE_LAYER (self->grid_layer));
  /* the tiles go in between (tile_url_changed_cb) */
  shumate_map_add_layer (self->map, SHUMATE_LAYER (self->heat_layer));
  g_object_bind_property (self->heat_layer, "status", self->heat_status, "label",
                          G_BINDING_SYNC_CREATE);
  shumate_map_add_layer (self->map, SHUMATE_LAYER (self->trail_layer));
  shumate_map_add_layer (self->map, SHUMATE_LAYER (self->route_layer));
  shumate_map_add_layer (self->map, SHUMATE_LAYER (self->order_layer));
  shumate_map_add_layer (self->map, SHUMATE_LAYER (self->driver_layer));

  shumate_scale_set_viewport (self->scale, viewport);
  shumate_viewport_set_min_zoom_level (viewport, 2);
  shumate_viewport_set_max_zoom_level (viewport, 19);

  g_settings_get (dc_context_get_settings (self->context), "map-view", "(ddd)",
                  &lat, &lon, &zoom);
  shumate_viewport_set_zoom_level (viewport, zoom);
  shumate_map_center_on (self->map, lat, lon);

  g_signal_connect_object (viewport, "notify", G_CALLBACK (viewport_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
dc_map_view_constructed (GObject *object)
{
  DcMapView *self = DC_MAP_VIEW (object);
  GSettings *settings = dc_context_get_settings (self->context);
  GtkGesture *click;
  GtkDropTarget *drop;

  G_OBJECT_CLASS (dc_map_view_parent_class)->constructed (object);

  setup_layers (self);
  g_signal_connect_object (settings, "changed::tile-url", G_CALLBACK (tile_url_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dc_context_get_client (self->context), "notify::authenticated",
                           G_CALLBACK (authenticated_cb), self, G_CONNECT_SWAPPED);
  tile_url_changed_cb (self);

  /* The setting's nicks are ShumateUnit's. */
  g_settings_bind (settings, "units", self->scale, "unit", G_SETTINGS_BIND_GET);

  click = gtk_gesture_click_new ();
  g_signal_connect_object (click, "released", G_CALLBACK (click_released_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->map), GTK_EVENT_CONTROLLER (click));

  drop = gtk_drop_target_new (G_TYPE_STRING, GDK_ACTION_COPY);
  g_signal_connect_object (drop, "drop", G_CALLBACK (drop_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->map), GTK_EVENT_CONTROLLER (drop));
}

static void
dc_map_view_dispose (GObject *object)
{
  DcMapView *self = (DcMapView *)object;

  g_clear_handle_id (&self->viewport_source, g_source_remove);
  g_clear_handle_id (&self->probe_source, g_source_remove);
  g_cancellable_cancel (self->probe_cancellable);
  g_clear_object (&self->probe_cancellable);
  g_cancellable_cancel (self->trail_cancellable);
  g_clear_object (&self->trail_cancellable);

  g_clear_object (&self->order_signals);
  g_clear_object (&self->driver_signals);
  g_clear_object (&self->order);
  g_clear_object (&self->replay_layer);
  g_clear_object (&self->route_driver);
  g_clear_object (&self->tile_source);

  dc_template_dispose (GTK_WIDGET (self), DC_TYPE_MAP_VIEW);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dc_map_view_parent_class)->dispose (object);
}

static void
dc_map_view_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  DcMapView *self = DC_MAP_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The keyboard goes to the map itself: its arrows pan, + and - zoom. */
static gboolean
dc_map_view_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (DC_MAP_VIEW (widget)->map));
}

static void
dc_map_view_class_init (DcMapViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dc_map_view_constructed;
  object_class->dispose = dc_map_view_dispose;
  object_class->set_property = dc_map_view_set_property;

  widget_class->measure = dc_map_view_measure;
  widget_class->size_allocate = dc_map_view_size_allocate;
  widget_class->grab_focus = dc_map_view_grab_focus;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, DC_TYPE_CONTEXT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PLACE_PICKED] =
    g_signal_new ("place-picked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_DOUBLE);

  g_type_ensure (SHUMATE_TYPE_MAP);
  g_type_ensure (SHUMATE_TYPE_SCALE);
  g_type_ensure (SHUMATE_TYPE_LICENSE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dispatchd/Console/dc-map-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DcMapView, map);
  gtk_widget_class_bind_template_child (widget_class, DcMapView, scale);
  gtk_widget_class_bind_template_child (widget_class, DcMapView, license);
  gtk_widget_class_bind_template_child (widget_class, DcMapView, tiles_hint);
  gtk_widget_class_bind_template_child (widget_class, DcMapView, heat_switch);
  gtk_widget_class_bind_template_child (widget_class, DcMapView, heat_period);
  gtk_widget_class_bind_template_child (widget_class, DcMapView, heat_status);
  gtk_widget_class_bind_template_callback (widget_class, heat_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, zoom_in_cb);
  gtk_widget_class_bind_template_callback (widget_class, zoom_out_cb);

  gtk_widget_class_set_css_name (widget_class, "dc-map-view");
}

static void
dc_map_view_init (DcMapView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_focusable (GTK_WIDGET (self->map), TRUE);

  self->order_signals = g_signal_group_new (DC_TYPE_ORDER);
  g_signal_group_connect_swapped (self->order_signals, "notify::driver-id",
                                  G_CALLBACK (order_driver_changed_cb), self);
  g_signal_group_connect_swapped (self->order_signals, "notify::status",
                                  G_CALLBACK (update_route), self);

  self->driver_signals = g_signal_group_new (DC_TYPE_DRIVER);
  g_signal_group_connect_swapped (self->driver_signals, "notify::recorded-at",
                                  G_CALLBACK (update_route), self);
}

DcMapView *
dc_map_view_new (DcContext *context)
{
  g_return_val_if_fail (DC_IS_CONTEXT (context), NULL);

  return g_object_new (DC_TYPE_MAP_VIEW, "context", context, NULL);
}

void
dc_map_view_set_selected_order (DcMapView *self,
                                DcOrder   *order)
{
  g_return_if_fail (DC_IS_MAP_VIEW (self));
  g_return_if_fail (order == NULL || DC_IS_ORDER (order));

  if (!g_set_object (&self->order, order))
    return;

  g_signal_group_set_target (self->order_signals, order);
  dc_point_layer_set_selected (DC_POINT_LAYER (self->order_layer), DC_ENTITY (order));
  if (order != NULL)
    dc_point_layer_set_selected (DC_POINT_LAYER (self->driver_layer), NULL);
  order_driver_changed_cb (self);
}

void
dc_map_view_set_selected_driver (DcMapView *self,
                                 DcDriver  *driver)
{
  g_return_if_fail (DC_IS_MAP_VIEW (self));
  g_return_if_fail (driver == NULL || DC_IS_DRIVER (driver));

  dc_point_layer_set_selected (DC_POINT_LAYER (self->driver_layer), DC_ENTITY (driver));
  if (driver != NULL)
    dc_map_view_set_selected_order (self, NULL);
  set_route_driver (self, driver);
}

void
dc_map_view_show_selection (DcMapView *self)
{
  ShumateViewport *viewport;
  DcEntity *driver;
  double lat, lon;

  g_return_if_fail (DC_IS_MAP_VIEW (self));

  viewport = shumate_map_get_viewport (self->map);
  driver = dc_point_layer_get_selected (DC_POINT_LAYER (self->driver_layer));
  if (self->order != NULL)
    dc_order_get_pickup (self->order, &lat, &lon);
  else if (driver != NULL && dc_driver_has_location (DC_DRIVER (driver)))
    {
      lat = dc_driver_get_lat (DC_DRIVER (driver));
      lon = dc_driver_get_lon (DC_DRIVER (driver));
    }
  else
    return;

  shumate_map_go_to_full (self->map, lat, lon,
                          MAX (SELECTION_ZOOM, shumate_viewport_get_zoom_level (viewport)));
}

void
dc_map_view_set_heat_shown (DcMapView *self,
                            gboolean   shown)
{
  g_return_if_fail (DC_IS_MAP_VIEW (self));

  gtk_switch_set_active (self->heat_switch, shown);
}

DcHeatLayer *
dc_map_view_get_heat_layer (DcMapView *self)
{
  g_return_val_if_fail (DC_IS_MAP_VIEW (self), NULL);

  return self->heat_layer;
}

void
dc_map_view_set_picking_place (DcMapView *self,
                               gboolean   picking)
{
  g_return_if_fail (DC_IS_MAP_VIEW (self));

  self->picking_place = picking;
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self->map), picking ? "crosshair" : NULL);
}

ShumateViewport *
dc_map_view_get_viewport (DcMapView *self)
{
  g_return_val_if_fail (DC_IS_MAP_VIEW (self), NULL);

  return shumate_map_get_viewport (self->map);
}

void
dc_map_view_set_replay_layer (DcMapView    *self,
                              ShumateLayer *layer)
{
  GtkWidget *live[] = { GTK_WIDGET (self->trail_layer), GTK_WIDGET (self->route_layer),
                        GTK_WIDGET (self->order_layer), GTK_WIDGET (self->driver_layer) };

  g_return_if_fail (DC_IS_MAP_VIEW (self));

  for (guint i = 0; i < G_N_ELEMENTS (live); i++)
    gtk_widget_set_visible (live[i], layer == NULL);
  if (self->replay_layer != NULL)
    shumate_map_remove_layer (self->map, self->replay_layer);
  g_set_object (&self->replay_layer, layer);
  if (layer != NULL)
    shumate_map_add_layer (self->map, layer);
}
