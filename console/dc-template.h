/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void dc_template_dispose (GtkWidget *widget,
                          GType      widget_type);

G_END_DECLS
