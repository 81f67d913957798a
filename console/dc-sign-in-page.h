/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dc-context.h"

G_BEGIN_DECLS

#define DC_TYPE_SIGN_IN_PAGE (dc_sign_in_page_get_type ())

G_DECLARE_FINAL_TYPE (DcSignInPage, dc_sign_in_page, DC, SIGN_IN_PAGE, GtkWidget)

/* Server, username and password; the "sign-in.submit" action signs the
 * context in. Failures are shown as toasts of the window (the "failed"
 * signal carries the message). */
DcSignInPage *dc_sign_in_page_new   (DcContext    *context);
/* Fills the form from the settings and focuses the first empty field. */
void          dc_sign_in_page_reset (DcSignInPage *self);
/* Fills the form with what is given (NULL leaves a field as it is). */
void          dc_sign_in_page_fill  (DcSignInPage *self,
                                     const char   *server_url,
                                     const char   *username,
                                     const char   *password);

G_END_DECLS
