/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-candidates.h"
#include "dc-format.h"
#include "dc-order-row.h"
#include "dc-template.h"
#include "dc-window.h"

struct _DcOrderRow
{
  GtkWidget parent_instance;

  DcOrder *order;
  GSignalGroup *order_signals;
  /* the window's context while the row is on screen: its clock ticks the
   * age, its drivers tell whether the assignment looks right */
  DcContext *context;
  gulong tick_handler;

  /* template */
  GtkWidget *chip;
  GtkLabel *title_label;
  GtkLabel *status_label;
  GtkLabel *route_label;
  GtkLabel *detail_label;
};

G_DEFINE_FINAL_TYPE (DcOrderRow, dc_order_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ORDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The pickup, and when it is ready if that is planned. */
static void
update_route (DcOrderRow *self)
{
  DcOrder *order = self->order;
  const char *pickup = dc_order_get_pickup_address (order) ?: _("Pickup");
  g_autofree char *ready = NULL;
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;

  if (dc_order_get_ready_at (order) == 0)
    {
      gtk_label_set_label (self->route_label, pickup);
      return;
    }

  ready = dc_format_time_of_day (dc_order_get_ready_at (order), g_get_real_time ());
  /* Translators: when a pickup is ready, e.g. "ready 14:05" */
  when = g_strdup_printf (_("ready %s"), ready);
  text = g_strconcat (pickup, " · ", when, NULL);
  gtk_label_set_label (self->route_label, text);
}

/* "→ Torstraße 5", its delivery window if it has one, then the ETA or age. */
static char *
dropoff_text (DcOrder *order)
{
  const char *dropoff = dc_order_get_dropoff_address (order) ?: _("Dropoff");
  g_autofree char *window = NULL;
  gint64 after, before;

  dc_order_get_window (order, &after, &before);
  window = dc_format_window (after, before, g_get_real_time ());
  if (window != NULL)
    /* Translators: dropoff and delivery window, e.g. "→ Torstraße 5 · 14:00–14:30" */
    return g_strdup_printf (_("→ %s · %s"), dropoff, window);

  /* Translators: the dropoff, e.g. "→ Torstraße 5" */
  return g_strdup_printf (_("→ %s"), dropoff);
}

static void
update_detail (DcOrderRow *self)
{
  DcOrder *order = self->order;
  g_autofree char *detail = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *dropoff = NULL;

  if (order == NULL)
    return;

  if (self->context != NULL)
    problem = dc_candidates_check (dc_context_get_drivers (self->context), order,
                                   dc_context_get_max_pickup_m (self->context),
                                   g_settings_get_enum (dc_context_get_settings (self->context),
                                                        "units"));
  if (problem != NULL)
    /* Translators: a flagged assignment, e.g. "⚠ The driver is 503 km from the pickup" */
    detail = g_strdup_printf (_("⚠ %s"), problem);
  else if (dc_order_get_eta_seconds (order) >= 0)
    {
      g_autofree char *eta = dc_format_duration (dc_order_get_eta_seconds (order));

      dropoff = dropoff_text (order);
      /* Translators: dropoff and ETA, e.g. "→ Torstraße 5 · ETA 6 min" */
      detail = g_strdup_printf (_("%s · ETA %s"), dropoff, eta);
    }
  else
    {
      g_autofree char *age = dc_format_age (dc_order_get_created_at (order),
                                            g_get_real_time ());

      dropoff = dropoff_text (order);
      /* Translators: dropoff and age, e.g. "→ Torstraße 5 · 4 minutes ago" */
      detail = g_strdup_printf (_("%s · %s"), dropoff, age);
    }
  gtk_label_set_label (self->detail_label, detail);
  if (problem != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->detail_label), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->detail_label), "warning");
}

static void
update (DcOrderRow *self)
{
  DcOrder *order = self->order;
  const char *look;
  g_autofree char *title = NULL;

  if (order == NULL)
    return;

  look = dc_format_order_css_class (order);
  gtk_widget_set_css_classes (self->chip, (const char *[]) { "status-chip", look, NULL });
  gtk_widget_set_css_classes (GTK_WIDGET (self->status_label),
                              (const char *[]) { "status-badge", "caption", look, NULL });
  gtk_label_set_label (self->status_label, dc_format_order_badge (order));

  if (dc_order_get_customer (order) != NULL)
    /* Translators: order id and customer, e.g. "3f2a9c1d · Ana Souza" */
    title = g_strdup_printf (_("%s · %s"), dc_order_get_short_id (order),
                             dc_order_get_customer (order));
  else
    title = g_strdup (dc_order_get_short_id (order));
  gtk_label_set_label (self->title_label, title);

  update_route (self);
  update_detail (self);
}

static GdkContentProvider *
drag_prepare_cb (DcOrderRow    *self,
                 double         x,
                 double         y,
                 GtkDragSource *source)
{
  g_autoptr(GdkPaintable) icon = NULL;

  if (self->order == NULL)
    return NULL;

  icon = gtk_widget_paintable_new (GTK_WIDGET (self));
  gtk_drag_source_set_icon (source, icon, (int) x, (int) y);

  return gdk_content_provider_new_typed (G_TYPE_STRING,
                                         dc_entity_get_id (DC_ENTITY (self->order)));
}

static void
dc_order_row_root (GtkWidget *widget)
{
  DcOrderRow *self = DC_ORDER_ROW (widget);
  GtkRoot *root;

  GTK_WIDGET_CLASS (dc_order_row_parent_class)->root (widget);

  root = gtk_widget_get_root (widget);
  if (!DC_IS_WINDOW (root))
    return;

  self->context = g_object_ref (dc_window_get_context (DC_WINDOW (root)));
  self->tick_handler = g_signal_connect_swapped (dc_context_get_clock (self->context), "tick",
                                                 G_CALLBACK (update_detail), self);
  update_detail (self);
}

static void
dc_order_row_unroot (GtkWidget *widget)
{
  DcOrderRow *self = DC_ORDER_ROW (widget);

  if (self->context != NULL)
    g_clear_signal_handler (&self->tick_handler, dc_context_get_clock (self->context));
  g_clear_object (&self->context);

  GTK_WIDGET_CLASS (dc_order_row_parent_class)->unroot (widget);
}

static void
dc_order_row_dispose (GObject *object)
{
  DcOrderRow *self = (DcOrderRow *)object;

  g_clear_object (&self->order_signals);
  g_clear_object (&self->order);
  dc_template_dispose (GTK_WIDGET (self), DC_TYPE_ORDER_ROW);

  G_OBJECT_CLASS (dc_order_row_parent_class)->dispose (object);
}

static void
dc_order_row_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  DcOrderRow *self = DC_ORDER_ROW (object);

  switch (prop_id)
    {
    case PROP_ORDER:
      g_value_set_object (value, self->order);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_order_row_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  DcOrderRow *self = DC_ORDER_ROW (object);

  switch (prop_id)
    {
    case PROP_ORDER:
      dc_order_row_set_order (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_order_row_class_init (DcOrderRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dc_order_row_dispose;
  object_class->get_property = dc_order_row_get_property;
  object_class->set_property = dc_order_row_set_property;
  widget_class->root = dc_order_row_root;
  widget_class->unroot = dc_order_row_unroot;

  properties[PROP_ORDER] =
    g_param_spec_object ("order", NULL, NULL, DC_TYPE_ORDER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dispatchd/Console/dc-order-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DcOrderRow, chip);
  gtk_widget_class_bind_template_child (widget_class, DcOrderRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, DcOrderRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, DcOrderRow, route_label);
  gtk_widget_class_bind_template_child (widget_class, DcOrderRow, detail_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "dc-order-row");
}

static void
dc_order_row_init (DcOrderRow *self)
{
  GtkDragSource *source;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->order_signals = g_signal_group_new (DC_TYPE_ORDER);
  g_signal_group_connect_swapped (self->order_signals, "notify", G_CALLBACK (update), self);

  source = gtk_drag_source_new ();
  gtk_drag_source_set_actions (source, GDK_ACTION_COPY);
  g_signal_connect_object (source, "prepare", G_CALLBACK (drag_prepare_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (source));
}

void
dc_order_row_set_order (DcOrderRow *self,
                        DcOrder    *order)
{
  g_return_if_fail (DC_IS_ORDER_ROW (self));
  g_return_if_fail (order == NULL || DC_IS_ORDER (order));

  if (!g_set_object (&self->order, order))
    return;

  g_signal_group_set_target (self->order_signals, order);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ORDER]);
}
