/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * What a dispatcher scoped to teams may see: the zones whose orders and the
 * drivers of its teams, as dispatch.scope_json() reads them from the
 * database. Everyone else has no scope (NULL) and sees everything.
 */
typedef struct _DsdScope DsdScope;

/* text: {"zones":[ids],"drivers":[ids]}. Returns: (transfer full) (nullable):
 * NULL when text is not of that shape. */
DsdScope *dsd_scope_new_from_json (const char     *text,
                                   gssize          length);
void      dsd_scope_free          (DsdScope       *self);

/* zone_id NULL: an unzoned order, which no scope holds. */
gboolean  dsd_scope_has_zone      (const DsdScope *self,
                                   const char     *zone_id);
gboolean  dsd_scope_has_driver    (const DsdScope *self,
                                   const char     *driver_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdScope, dsd_scope_free)

G_END_DECLS
