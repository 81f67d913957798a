/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-client.h"

G_BEGIN_DECLS

#define DC_TYPE_SCOPE (dc_scope_get_type ())

G_DECLARE_FINAL_TYPE (DcScope, dc_scope, DC, SCOPE, GObject)

/*
 * DcScope:
 *
 * What the signed-in dispatcher sees: the teams it is scoped to
 * (GET /api/v1/users/me), read at each sign-in. The server does the
 * scoping; the console only says whose orders and drivers it shows.
 * :label is for the header ("Team: North"), NULL when the user sees all.
 */
DcScope            *dc_scope_new       (DcClient *client);
/* The teams' names, by name; empty when the user sees all. */
const char * const *dc_scope_get_teams (DcScope  *self);
const char         *dc_scope_get_label (DcScope  *self);

G_END_DECLS
