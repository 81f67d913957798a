/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * One user of the server as the simulator acts for it: credentials, the
 * current bearer token and the ids the login answered with. Reference
 * counted, because requests in flight keep it alive.
 */
typedef struct {
  char *username;
  char *password;
  char *token;        /* NULL until logged in */
  char *role;
  char *driver_id;
  char *customer_id;
} DsimAccount;

DsimAccount *dsim_account_new   (const char  *username,
                                 const char  *password);
DsimAccount *dsim_account_ref   (DsimAccount *self);
void         dsim_account_unref (DsimAccount *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsimAccount, dsim_account_unref)

G_END_DECLS
