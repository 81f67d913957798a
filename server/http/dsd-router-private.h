/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-router.h"

G_BEGIN_DECLS

/* Longer paths never match (our deepest route has 7 segments). */
#define DSD_ROUTER_MAX_SEGMENTS 32
#define DSD_ROUTER_MAX_PARAMS   8

typedef struct {
  const char          *method;            /* interned */
  char                *pattern;
  char               **param_names;       /* in path order */
  guint                allowed_roles;
  /* Plain routes: the handler. Websocket routes: the optional check. */
  DsdRouteHandler      handler;
  DsdWebsocketHandler  websocket_handler; /* non-NULL for websocket routes */
  gpointer             user_data;
} DsdRoute;

/*
 * Matches a path split into decoded segments. On success returns the route and
 * fills values[] with the placeholder values (in the order of
 * route->param_names). HEAD falls back to a GET route. On failure returns NULL
 * and, when the path exists with other methods, the Allow header value in
 * *allow (NULL when the path does not exist at all).
 */
const DsdRoute *_dsd_router_match (DsdRouter         *self,
                                   const char        *method,
                                   const char *const *segments,
                                   guint              n_segments,
                                   const char       **values,
                                   char             **allow);

G_END_DECLS
