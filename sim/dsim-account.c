/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include "dsim-account.h"

static void
account_clear (gpointer data)
{
  DsimAccount *self = data;

  g_free (self->username);
  g_free (self->password);
  g_free (self->token);
  g_free (self->role);
  g_free (self->driver_id);
  g_free (self->customer_id);
}

DsimAccount *
dsim_account_new (const char *username,
                  const char *password)
{
  DsimAccount *self = g_rc_box_new0 (DsimAccount);

  self->username = g_strdup (username);
  self->password = g_strdup (password);

  return self;
}

DsimAccount *
dsim_account_ref (DsimAccount *self)
{
  return g_rc_box_acquire (self);
}

void
dsim_account_unref (DsimAccount *self)
{
  g_rc_box_release_full (self, account_clear);
}
