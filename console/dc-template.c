/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dc-template.h"

/*
 * Disposes a composite template whose root child is not bound to a struct
 * field: gtk_widget_dispose_template() clears only bound children, so the
 * root is unparented here.
 */
void
dc_template_dispose (GtkWidget *widget,
                     GType      widget_type)
{
  GtkWidget *child;

  gtk_widget_dispose_template (widget, widget_type);
  while ((child = gtk_widget_get_first_child (widget)))
    gtk_widget_unparent (child);
}
