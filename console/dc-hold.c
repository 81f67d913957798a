/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-hold.h"

#define MOTION_KEY "dc-hold-motion"
#define FOCUS_KEY  "dc-hold-focus"

void
dc_hold_watch (GtkWidget *widget)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *focus = gtk_event_controller_focus_new ();

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (g_object_get_data (G_OBJECT (widget), MOTION_KEY) == NULL);

  /* the widget owns its controllers: they go with it */
  gtk_widget_add_controller (widget, motion);
  gtk_widget_add_controller (widget, focus);
  g_object_set_data (G_OBJECT (widget), MOTION_KEY, motion);
  g_object_set_data (G_OBJECT (widget), FOCUS_KEY, focus);
}

gboolean
dc_hold_is_held (GtkWidget *widget)
{
  GtkEventController *motion = g_object_get_data (G_OBJECT (widget), MOTION_KEY);
  GtkEventController *focus = g_object_get_data (G_OBJECT (widget), FOCUS_KEY);
  GtkRoot *root = gtk_widget_get_root (widget);

  g_return_val_if_fail (motion != NULL && focus != NULL, FALSE);

  return gtk_event_controller_motion_contains_pointer (GTK_EVENT_CONTROLLER_MOTION (motion)) ||
         (gtk_event_controller_focus_contains_focus (GTK_EVENT_CONTROLLER_FOCUS (focus)) &&
          GTK_IS_WINDOW (root) && gtk_window_get_focus_visible (GTK_WINDOW (root)));
}
