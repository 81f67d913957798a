/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "dsd-auth-enums.h"

G_BEGIN_DECLS

/* Registered as DSD_TYPE_ROLE (glib-mkenums); the nicks are the wire names. */
typedef enum {
  DSD_ROLE_ADMIN      = 1 << 0,
  DSD_ROLE_DISPATCHER = 1 << 1,
  DSD_ROLE_DRIVER     = 1 << 2,
  DSD_ROLE_CUSTOMER   = 1 << 3,
} DsdRole;

#define DSD_ROLES_STAFF (DSD_ROLE_ADMIN | DSD_ROLE_DISPATCHER)
#define DSD_ROLES_ANY   (DSD_ROLE_ADMIN | DSD_ROLE_DISPATCHER | DSD_ROLE_DRIVER | DSD_ROLE_CUSTOMER)

/* Who is calling: decoded from a verified access token. Immutable, refcounted. */
typedef struct {
  DsdRole  role;
  char    *user_id;
  char    *username;
  char    *driver_id;    /* nullable */
  char    *customer_id;  /* nullable */
  /* The token's iat (Unix seconds): set by the token issuer when it decodes
   * one, before the principal is shared; 0 otherwise. */
  gint64   issued_at_s;
} DsdPrincipal;

const char   *dsd_role_to_string      (DsdRole       role);
gboolean      dsd_role_from_string    (const char   *str,
                                       DsdRole      *role);

DsdPrincipal *dsd_principal_new       (DsdRole       role,
                                       const char   *user_id,
                                       const char   *username,
                                       const char   *driver_id,
                                       const char   *customer_id);
DsdPrincipal *dsd_principal_ref       (DsdPrincipal *self);
void          dsd_principal_unref     (DsdPrincipal *self);
/* {"role","user_id","driver_id","customer_id"}: the actor as our SQL functions take it */
char         *dsd_principal_to_json   (const DsdPrincipal *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdPrincipal, dsd_principal_unref)

G_END_DECLS
