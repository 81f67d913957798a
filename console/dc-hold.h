/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * Lists a dispatcher acts on hold still while the pointer is over them or
 * the keyboard moves in them (a focus left behind by a click does not
 * count, or they would never re-rank). dc_hold_watch() adds the
 * controllers to @widget once; dc_hold_is_held() answers for it.
 */
void     dc_hold_watch   (GtkWidget *widget);
gboolean dc_hold_is_held (GtkWidget *widget);

G_END_DECLS
