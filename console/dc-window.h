/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dc-context.h"

G_BEGIN_DECLS

#define DC_TYPE_WINDOW (dc_window_get_type ())

G_DECLARE_FINAL_TYPE (DcWindow, dc_window, DC, WINDOW, AdwApplicationWindow)

DcWindow *dc_window_new        (GtkApplication *application,
                                DcContext      *context);
DcContext *dc_window_get_context (DcWindow      *self);
void      dc_window_show_toast (DcWindow       *self,
                                const char     *message);
/* Shows @toast, taking it. */
void      dc_window_add_toast  (DcWindow       *self,
                                AdwToast       *toast);
/* Fills the sign-in form (NULL leaves a field as it is) and, with a
 * @password, submits it. */
void      dc_window_sign_in    (DcWindow       *self,
                                const char     *server_url,
                                const char     *username,
                                const char     *password);

G_END_DECLS
