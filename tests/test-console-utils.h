/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-application.h"
#include "dc-window.h"

G_BEGIN_DECLS

/* The real application, registered (non-unique) and activated, with its
 * window; *out_window is owned by the application. Returns: (transfer full) */
DcApplication *test_console_application_new (DcWindow  **out_window);
/* Iterates the default main context for about @ms milliseconds (animations,
 * tiles and layout settle). */
void           test_console_run_for         (guint       ms);
/* Lets animations settle, renders @widget as on screen and, with
 * DISPATCH_CONSOLE_SCREENSHOT_DIR set, saves it there as @name.png. */
void           test_console_screenshot      (GtkWidget  *widget,
                                             const char *name);

G_END_DECLS
