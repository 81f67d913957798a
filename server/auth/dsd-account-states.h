/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dsd-clock.h"
#include "dsd-principal.h"

G_BEGIN_DECLS

/*
 * Whether a verified token still speaks for its user: the user exists, is not
 * disabled, and the token was issued no earlier than the user's
 * tokens_valid_after (moved by a password change, "sign out everywhere" and
 * disabling). The users table is the truth, shared by every instance; this is
 * a cache of it so that a request costs no query:
 *
 * - an entry younger than the refresh interval decides at once;
 * - an older one still decides, and is reloaded in the background (so an
 *   active user's change is seen one interval plus one query later);
 * - an entry older than DSD_ACCOUNT_STATES_MAX_AGE_MS, or none, cannot
 *   decide: the caller waits for the load (dsd_account_states_wait_async).
 *
 * Loads are batched: the ids that need one are collected for a main-loop turn
 * and handed to the load function together, which answers with
 * dsd_account_states_loaded(). The cache holds at most
 * DSD_ACCOUNT_STATES_MAX_ENTRIES users (emptied when full). Main-loop only.
 */
#define DSD_ACCOUNT_STATES_MAX_AGE_MS  10000
#define DSD_ACCOUNT_STATES_MAX_ENTRIES 65536

typedef struct {
  gboolean disabled;
  /* Tokens whose iat is below this (Unix seconds) are refused. */
  gint64   tokens_valid_after_s;
  /* What the user sees when scoped to teams, as a fingerprint (md5 in hex,
   * dispatch.scope_fingerprint); "" for users in no team. */
  char     scope[33];
} DsdAccountState;

#define DSD_TYPE_ACCOUNT_STATES (dsd_account_states_get_type ())
G_DECLARE_FINAL_TYPE (DsdAccountStates, dsd_account_states, DSD, ACCOUNT_STATES, GObject)

/* Loads the states of user_ids (a GPtrArray of strings, valid until the answer)
 * and answers with dsd_account_states_loaded(). */
typedef void (*DsdAccountLoadFunc) (DsdAccountStates *states,
                                    GPtrArray        *user_ids,
                                    gpointer          user_data);

typedef enum {
  DSD_ACCOUNT_ALLOWED,
  DSD_ACCOUNT_REFUSED,
  DSD_ACCOUNT_UNKNOWN,    /* not loaded (recently enough): wait, then check again */
} DsdAccountVerdict;

/* Ages are read from clock. */
DsdAccountStates *dsd_account_states_new         (DsdClock           *clock,
                                                  guint               refresh_ms,
                                                  DsdAccountLoadFunc  load,
                                                  gpointer            load_data);
/* REFUSED comes with DISPATCH_ERROR_UNAUTHENTICATED. */
DsdAccountVerdict dsd_account_states_check       (DsdAccountStates   *self,
                                                  const DsdPrincipal *principal,
                                                  GError            **error);
/* Completes once the user's state is loaded, or with the load's error. */
void              dsd_account_states_wait_async  (DsdAccountStates   *self,
                                                  const char         *user_id,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
gboolean          dsd_account_states_wait_finish (DsdAccountStates   *self,
                                                  GAsyncResult       *result,
                                                  GError            **error);
/* The load function's answer: states maps user id → DsdAccountState for the
 * users that exist (the others of user_ids do not), or error (then states is
 * NULL and the waiters get the error). */
void              dsd_account_states_loaded      (DsdAccountStates   *self,
                                                  GPtrArray          *user_ids,
                                                  GHashTable         *states,
                                                  const GError       *error);
/* Returns: (nullable) (transfer none): the user's scope fingerprint as last
 * loaded (valid until the next load); NULL when not loaded or no user. */
const char       *dsd_account_states_peek_scope  (DsdAccountStates   *self,
                                                  const char         *user_id);
/* Drops what is known of a user, after a change made through this instance. */
void              dsd_account_states_forget      (DsdAccountStates   *self,
                                                  const char         *user_id);

G_END_DECLS
