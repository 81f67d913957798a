/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-request.h"

G_BEGIN_DECLS

typedef void (*DsdRouteHandler) (DsdRequest *request,
                                 gpointer    user_data);

/*
 * Method + path pattern dispatch. Patterns are literal segments and
 * {name} placeholders ("/api/v1/orders/{id}/assign"); literal segments win over
 * placeholders. A path that matches with another method → 405
 * method_not_allowed with Allow; no match → 404 not_found.
 * allowed_roles == 0 marks a public route (no token needed, a token if present is
 * still verified); otherwise a valid bearer token (or ?access_token= when
 * the route is a websocket) is required (401 unauthenticated) and the caller's
 * role must be in allowed_roles (403 permission_denied).
 */
#define DSD_TYPE_ROUTER (dsd_router_get_type ())
G_DECLARE_FINAL_TYPE (DsdRouter, dsd_router, DSD, ROUTER, GObject)

DsdRouter *dsd_router_new (void);
void       dsd_router_add (DsdRouter       *self,
                           const char      *method,
                           const char      *pattern,
                           guint            allowed_roles,
                           DsdRouteHandler  handler,
                           gpointer         user_data);

G_END_DECLS
