/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dc-alerts.h"
#include "dc-client.h"
#include "dc-clock.h"
#include "dc-finished-orders.h"
#include "dc-scope.h"
#include "dc-store.h"
#include "dc-stream.h"

G_BEGIN_DECLS

#define DC_TYPE_CONTEXT (dc_context_get_type ())

G_DECLARE_FINAL_TYPE (DcContext, dc_context, DC, CONTEXT, GObject)

/*
 * DcContext:
 *
 * Everything the console's widgets share: settings, the REST client, the
 * live stores and their stream, the alerts, the ticking clock, the user's
 * scope. It also owns the session's life: the token goes to the keyring on
 * sign-in and the stream runs while the client is signed in.
 */
DcContext *dc_context_new                  (void);
GSettings *dc_context_get_settings         (DcContext           *self);
DcClient  *dc_context_get_client           (DcContext           *self);
DcStore   *dc_context_get_orders           (DcContext           *self);
DcFinishedOrders *dc_context_get_finished_orders (DcContext      *self);
DcStore   *dc_context_get_drivers          (DcContext           *self);
DcStream  *dc_context_get_stream           (DcContext           *self);
DcAlerts  *dc_context_get_alerts           (DcContext           *self);
DcClock   *dc_context_get_clock            (DcContext           *self);
/* The signed-in dispatcher's teams. */
DcScope   *dc_context_get_scope            (DcContext           *self);
/* The "max-pickup-km" setting in meters. */
double     dc_context_get_max_pickup_m     (DcContext           *self);
/* Signs in with the token kept for the last server and user, if any. */
void       dc_context_restore_session      (DcContext           *self);
void       dc_context_sign_in_async        (DcContext           *self,
                                            const char          *server_url,
                                            const char          *username,
                                            const char          *password,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean   dc_context_sign_in_finish       (DcContext           *self,
                                            GAsyncResult        *result,
                                            GError             **error);
/* Forgets the token and the data of the session. */
void       dc_context_sign_out             (DcContext           *self);

G_END_DECLS
