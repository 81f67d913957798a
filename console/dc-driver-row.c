/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-driver-row.h"
#include "dc-format.h"
#include "dc-template.h"

/* Older positions than this show when they were taken. */
#define STALE_USEC (60 * G_USEC_PER_SEC)

struct _DcDriverRow
{
  GtkWidget parent_instance;

  DcDriver *driver;
  GSignalGroup *driver_signals;

  /* template */
  GtkWidget *dot;
  GtkLabel *name_label;
  GtkLabel *detail_label;
  GtkLabel *load_label;
};

G_DEFINE_FINAL_TYPE (DcDriverRow, dc_driver_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DRIVER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* CSS classes of the state dot, by DispatchDriverState. */
static const char * const state_classes[] = { "driver-offline", "driver-idle", "driver-busy" };

static void
update (DcDriverRow *self)
{
  DcDriver *driver = self->driver;
  DispatchDriverState state;
  gint64 seen;
  g_autofree char *detail = NULL;
  g_autofree char *load = NULL;

  if (driver == NULL)
    return;

  state = dc_driver_get_state (driver);
  seen = dc_driver_get_recorded_at (driver);
  gtk_widget_set_css_classes (self->dot, (const char *[]) { "state-dot", state_classes[state],
                                                            NULL });
  gtk_label_set_label (self->name_label, dc_driver_get_name (driver) ?: _("Unnamed driver"));

  if (seen == 0)
    /* Translators: vehicle · state · no position, e.g. "Car · Offline · no position" */
    detail = g_strdup_printf (_("%s · %s · no position"),
                              dc_format_vehicle (dc_driver_get_vehicle (driver)),
                              dc_format_driver_state (state));
  else if (g_get_real_time () - seen > STALE_USEC)
    {
      g_autofree char *time = dc_format_clock_time (seen);

      /* Translators: vehicle · state · time, e.g. "Van · Offline · seen 14:02:11" */
      detail = g_strdup_printf (_("%s · %s · seen %s"),
                                dc_format_vehicle (dc_driver_get_vehicle (driver)),
                                dc_format_driver_state (state), time);
    }
  else
    /* Translators: vehicle · state, e.g. "Scooter · Idle" */
    detail = g_strdup_printf (_("%s · %s"), dc_format_vehicle (dc_driver_get_vehicle (driver)),
                              dc_format_driver_state (state));
  gtk_label_set_label (self->detail_label, detail);

  load = g_strdup_printf ("%d/%d", dc_driver_get_load (driver), dc_driver_get_capacity (driver));
  gtk_label_set_label (self->load_label, load);
}

static gboolean
drop_cb (DcDriverRow   *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  if (self->driver == NULL)
    return FALSE;

  gtk_widget_activate_action (GTK_WIDGET (self), "win.assign-order", "(ss)",
                              g_value_get_string (value),
                              dc_entity_get_id (DC_ENTITY (self->driver)));
  return TRUE;
}

static void
dc_driver_row_dispose (GObject *object)
{
  DcDriverRow *self = (DcDriverRow *)object;

  g_clear_object (&self->driver_signals);
  g_clear_object (&self->driver);
  dc_template_dispose (GTK_WIDGET (self), DC_TYPE_DRIVER_ROW);

  G_OBJECT_CLASS (dc_driver_row_parent_class)->dispose (object);
}

static void
dc_driver_row_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DcDriverRow *self = DC_DRIVER_ROW (object);

  switch (prop_id)
    {
    case PROP_DRIVER:
      g_value_set_object (value, self->driver);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_driver_row_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  DcDriverRow *self = DC_DRIVER_ROW (object);

  switch (prop_id)
    {
    case PROP_DRIVER:
      dc_driver_row_set_driver (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_driver_row_class_init (DcDriverRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dc_driver_row_dispose;
  object_class->get_property = dc_driver_row_get_property;
  object_class->set_property = dc_driver_row_set_property;

  properties[PROP_DRIVER] =
    g_param_spec_object ("driver", NULL, NULL, DC_TYPE_DRIVER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dispatchd/Console/dc-driver-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DcDriverRow, dot);
  gtk_widget_class_bind_template_child (widget_class, DcDriverRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, DcDriverRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, DcDriverRow, load_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "dc-driver-row");
}

static void
dc_driver_row_init (DcDriverRow *self)
{
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->driver_signals = g_signal_group_new (DC_TYPE_DRIVER);
  g_signal_group_connect_swapped (self->driver_signals, "notify", G_CALLBACK (update), self);

  target = gtk_drop_target_new (G_TYPE_STRING, GDK_ACTION_COPY);
  g_signal_connect_object (target, "drop", G_CALLBACK (drop_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

void
dc_driver_row_set_driver (DcDriverRow *self,
                          DcDriver    *driver)
{
  g_return_if_fail (DC_IS_DRIVER_ROW (self));
  g_return_if_fail (driver == NULL || DC_IS_DRIVER (driver));

  if (!g_set_object (&self->driver, driver))
    return;

  g_signal_group_set_target (self->driver_signals, driver);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DRIVER]);
}
