/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "dispatch-error.h"
#include "dsd-account-states.h"
#include "dsd-password.h"
#include "dsd-rate-limiter.h"
#include "dsd-token-issuer.h"

#define SECRET "0123456789abcdef0123456789abcdef"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (jwt_t, jwt_free)

static DsdTokenIssuer *
new_issuer (const char *secret)
{
  g_autoptr(GBytes) bytes = g_bytes_new (secret, strlen (secret));
  g_autoptr(DsdClock) clock = dsd_clock_new ();

  return dsd_token_issuer_new (clock, bytes, 3600);
}

/* A token signed by hand with libjwt; claims as "name", value pairs where a
 * value starting with '#' is an integer. */
static char *
sign_token (jwt_alg_t   alg,
            const char *secret,
            ...)
{
  g_autoptr(jwt_t) jwt = NULL;
  const char *name;
  char *encoded;
  char *token;
  va_list args;

  g_assert_cmpint (jwt_new (&jwt), ==, 0);
  g_assert_cmpint (jwt_set_alg (jwt, alg, (const guchar *) secret, strlen (secret)), ==, 0);

  va_start (args, secret);
  while ((name = va_arg (args, const char *)) != NULL)
    {
      const char *value = va_arg (args, const char *);

      if (value[0] == '#')
        g_assert_cmpint (jwt_add_grant_int (jwt, name, strtol (value + 1, NULL, 10)), ==, 0);
      else
        g_assert_cmpint (jwt_add_grant (jwt, name, value), ==, 0);
    }
  va_end (args);

  encoded = jwt_encode_str (jwt);
  token = g_strdup (encoded);
  free (encoded);

  return token;
}

static char *
seconds_from_now (gint64 delta)
{
  return g_strdup_printf ("#%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC + delta);
}

static void
assert_rejected (DsdTokenIssuer *issuer,
                 const char     *token,
                 const char     *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DsdPrincipal) principal = NULL;

  principal = dsd_token_issuer_verify (issuer, token, &error);
  g_assert_null (principal);
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_roundtrip (void)
{
  g_autoptr(DsdTokenIssuer) issuer = new_issuer (SECRET);
  g_autoptr(DsdPrincipal) driver = NULL;
  g_autoptr(DsdPrincipal) verified = NULL;
  g_autoptr(DsdPrincipal) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *actor = NULL;

  driver = dsd_principal_new (DSD_ROLE_DRIVER, "u-1", "dora", "d-1", NULL);
  token = dsd_token_issuer_issue (issuer, driver, 0);
  g_assert_cmpuint (dsd_token_issuer_get_lifetime (issuer), ==, 3600);

  verified = dsd_token_issuer_verify (issuer, token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (verified->role, ==, DSD_ROLE_DRIVER);
  g_assert_cmpstr (verified->user_id, ==, "u-1");
  g_assert_cmpstr (verified->username, ==, "dora");
  g_assert_cmpstr (verified->driver_id, ==, "d-1");
  g_assert_null (verified->customer_id);

  actor = dsd_principal_to_json (verified);
  g_assert_cmpstr (actor, ==,
                   "{\"role\":\"driver\",\"user_id\":\"u-1\",\"driver_id\":\"d-1\","
                   "\"customer_id\":null}");

  /* The second time comes from the cache. */
  again = dsd_token_issuer_verify (issuer, token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->user_id, ==, "u-1");
}

static void
test_roles (void)
{
  static const struct {
    DsdRole     role;
    const char *name;
  } roles[] = {
    { DSD_ROLE_ADMIN, "admin" },
    { DSD_ROLE_DISPATCHER, "dispatcher" },
    { DSD_ROLE_DRIVER, "driver" },
    { DSD_ROLE_CUSTOMER, "customer" },
  };
  DsdRole role;

  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_assert_cmpstr (dsd_role_to_string (roles[i].role), ==, roles[i].name);
      g_assert_true (dsd_role_from_string (roles[i].name, &role));
      g_assert_cmpint (role, ==, roles[i].role);
    }

  g_assert_false (dsd_role_from_string ("Admin", &role));
  g_assert_false (dsd_role_from_string ("system", &role));
  g_assert_false (dsd_role_from_string (NULL, &role));
}

static void
test_tampered (void)
{
  g_autoptr(DsdTokenIssuer) issuer = new_issuer (SECRET);
  g_autoptr(DsdPrincipal) customer = NULL;
  g_autofree char *token = NULL;
  g_autofree char *payload_tampered = NULL;
  g_autofree char *signature_tampered = NULL;
  g_autofree char *long_token = NULL;
  char *dot;

  customer = dsd_principal_new (DSD_ROLE_CUSTOMER, "u-2", "carl", NULL, "c-2");
  token = dsd_token_issuer_issue (issuer, customer, 0);

  /* One character of the claims changed. */
  payload_tampered = g_strdup (token);
  dot = strchr (payload_tampered, '.');
  dot[3] = dot[3] == 'A' ? 'B' : 'A';
  assert_rejected (issuer, payload_tampered, "invalid access token");

  signature_tampered = g_strdup (token);
  dot = strrchr (signature_tampered, '.');
  dot[1] = dot[1] == 'A' ? 'B' : 'A';
  assert_rejected (issuer, signature_tampered, "invalid access token");

  assert_rejected (issuer, "", "invalid access token");
  assert_rejected (issuer, "abc", "invalid access token");
  assert_rejected (issuer, "a.b.c", "invalid access token");
  long_token = g_strnfill (5000, 'a');
  assert_rejected (issuer, long_token, "invalid access token");
}

static void
test_wrong_secret (void)
{
  g_autoptr(DsdTokenIssuer) issuer = new_issuer (SECRET);
  g_autoptr(DsdTokenIssuer) other = new_issuer ("another secret of at least 32 bytes");
  g_autoptr(DsdPrincipal) admin = dsd_principal_new (DSD_ROLE_ADMIN, "u-3", "ada", NULL, NULL);
  g_autofree char *token = dsd_token_issuer_issue (other, admin, 0);

  assert_rejected (issuer, token, "invalid access token");
}

static void
test_expired (void)
{
  g_autoptr(DsdTokenIssuer) issuer = new_issuer (SECRET);
  g_autofree char *past = seconds_from_now (-10);
  g_autofree char *now = seconds_from_now (0);
  g_autofree char *future = seconds_from_now (60);
  g_autofree char *expired = NULL;
  g_autofree char *expiring = NULL;
  g_autofree char *no_exp = NULL;
  g_autofree char *valid = NULL;
  g_autoptr(DsdPrincipal) principal = NULL;
  g_autoptr(GError) error = NULL;

  expired = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "admin", "exp", past, NULL);
  assert_rejected (issuer, expired, "access token expired");

  /* exp is the first second the token is no longer good. */
  expiring = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "admin", "exp", now, NULL);
  assert_rejected (issuer, expiring, "access token expired");

  no_exp = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "admin", NULL);
  assert_rejected (issuer, no_exp, "invalid access token");

  valid = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "admin", "exp", future,
                      "iat", now, NULL);
  principal = dsd_token_issuer_verify (issuer, valid, &error);
  g_assert_no_error (error);
  g_assert_cmpint (principal->role, ==, DSD_ROLE_ADMIN);
  g_assert_null (principal->username);
}

/* iat is required and not in the future, nbf is honoured; both with the leeway. */
static void
test_time_claims (void)
{
  g_autoptr(DsdTokenIssuer) issuer = new_issuer (SECRET);
  g_autofree char *exp = seconds_from_now (3600);
  g_autofree char *now = seconds_from_now (0);
  g_autofree char *skewed = seconds_from_now (DSD_TOKEN_ISSUER_LEEWAY_S - 5);
  g_autofree char *later = seconds_from_now (DSD_TOKEN_ISSUER_LEEWAY_S + 60);
  g_autofree char *no_iat = NULL;
  g_autofree char *text_iat = NULL;
  g_autofree char *future_iat = NULL;
  g_autofree char *future_nbf = NULL;
  g_autofree char *skewed_iat = NULL;
  g_autofree char *issued = NULL;
  g_autoptr(DsdPrincipal) principal = NULL;
  g_autoptr(DsdPrincipal) mine = dsd_principal_new (DSD_ROLE_ADMIN, "u-3", "ada", NULL, NULL);
  g_autoptr(GError) error = NULL;
  gint64 not_before_s = g_get_real_time () / G_USEC_PER_SEC + 5;

  no_iat = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "admin", "exp", exp, NULL);
  assert_rejected (issuer, no_iat, "invalid access token");
  text_iat = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "admin", "exp", exp,
                         "iat", "yesterday", NULL);
  assert_rejected (issuer, text_iat, "invalid access token");
  future_iat = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "admin", "exp", exp,
                           "iat", later, NULL);
  assert_rejected (issuer, future_iat, "access token issued in the future");
  future_nbf = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "admin", "exp", exp,
                           "iat", now, "nbf", later, NULL);
  assert_rejected (issuer, future_nbf, "access token not valid yet");

  /* Clocks of two instances a little apart. */
  skewed_iat = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "admin", "exp", exp,
                           "iat", skewed, "nbf", skewed, NULL);
  principal = dsd_token_issuer_verify (issuer, skewed_iat, &error);
  g_assert_no_error (error);
  g_assert_cmpint (principal->issued_at_s, ==, strtol (skewed + 1, NULL, 10));
  g_clear_pointer (&principal, dsd_principal_unref);

  /* Issued right after a revocation: iat is not before it. */
  issued = dsd_token_issuer_issue (issuer, mine, not_before_s);
  principal = dsd_token_issuer_verify (issuer, issued, &error);
  g_assert_no_error (error);
  g_assert_cmpint (principal->issued_at_s, ==, not_before_s);
}

static void
test_expired_in_cache (void)
{
  gint64 start_us = g_get_real_time ();
  g_autoptr(GBytes) secret = g_bytes_new_static (SECRET, strlen (SECRET));
  g_autoptr(DsdClock) clock = dsd_clock_new_frozen (start_us);
  g_autoptr(DsdTokenIssuer) issuer = dsd_token_issuer_new (clock, secret, 1);
  g_autoptr(DsdPrincipal) admin = dsd_principal_new (DSD_ROLE_ADMIN, "u-3", "ada", NULL, NULL);
  g_autoptr(DsdPrincipal) verified = NULL;
  g_autoptr(DsdPrincipal) cached = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = dsd_token_issuer_issue (issuer, admin, 0);

  verified = dsd_token_issuer_verify (issuer, token, &error);
  g_assert_no_error (error);

  /* Valid (from the cache now) to the end of the second it was issued in
   * plus its lifetime, expired from then on. */
  dsd_clock_advance (clock, G_USEC_PER_SEC - 1 - start_us % G_USEC_PER_SEC);
  cached = dsd_token_issuer_verify (issuer, token, &error);
  g_assert_no_error (error);
  dsd_clock_advance (clock, 1);
  assert_rejected (issuer, token, "access token expired");
}

static void
test_bad_claims (void)
{
  g_autoptr(DsdTokenIssuer) issuer = new_issuer (SECRET);
  g_autofree char *future = seconds_from_now (60);
  g_autofree char *no_role = NULL;
  g_autofree char *bad_role = NULL;
  g_autofree char *no_subject = NULL;
  g_autofree char *text_exp = NULL;

  no_role = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "exp", future, NULL);
  assert_rejected (issuer, no_role, "invalid access token");
  bad_role = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "root", "exp", future,
                         NULL);
  assert_rejected (issuer, bad_role, "invalid access token");
  no_subject = sign_token (JWT_ALG_HS256, SECRET, "role", "admin", "exp", future, NULL);
  assert_rejected (issuer, no_subject, "invalid access token");
  text_exp = sign_token (JWT_ALG_HS256, SECRET, "sub", "u-1", "role", "admin",
                         "exp", "tomorrow", NULL);
  assert_rejected (issuer, text_exp, "invalid access token");
}

static void
test_other_algorithms (void)
{
  g_autoptr(DsdTokenIssuer) issuer = new_issuer (SECRET);
  g_autofree char *future = seconds_from_now (60);
  g_autofree char *hs512 = NULL;
  g_autofree char *none = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *claims = NULL;
  g_autofree char *header = NULL;

  /* Same secret, another HMAC: a valid signature, but not our algorithm. */
  hs512 = sign_token (JWT_ALG_HS512, SECRET, "sub", "u-1", "role", "admin", "exp", future, NULL);
  assert_rejected (issuer, hs512, "invalid access token");

  /* alg "none", written by hand as an attacker would. */
  header = g_base64_encode ((const guchar *) "{\"alg\":\"none\",\"typ\":\"JWT\"}", 27);
  claims = g_strdup_printf ("{\"sub\":\"u-1\",\"role\":\"admin\",\"exp\":%s}", future + 1);
  payload = g_base64_encode ((const guchar *) claims, strlen (claims));
  g_strdelimit (header, "=", '\0');
  g_strdelimit (payload, "=", '\0');
  g_strdelimit (payload, "+", '-');
  g_strdelimit (payload, "/", '_');
  none = g_strdup_printf ("%s.%s.", header, payload);
  assert_rejected (issuer, none, "invalid access token");
}

typedef struct {
  GPtrArray *batches;     /* GPtrArray of user ids, one per load */
  gboolean   waited;
  GError    *wait_error;
} Loads;

static void
record_load (DsdAccountStates *states,
             GPtrArray        *user_ids,
             gpointer          user_data)
{
  Loads *loads = user_data;

  g_ptr_array_add (loads->batches, g_ptr_array_ref (user_ids));
}

static void
waited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Loads *loads = user_data;

  loads->waited = TRUE;
  dsd_account_states_wait_finish (DSD_ACCOUNT_STATES (object), result, &loads->wait_error);
}

/* Answers the newest load: "u-ok" valid since 1000, "u-off" disabled, nobody else. */
static void
answer_load (DsdAccountStates *states,
             Loads            *loads,
             const GError     *error)
{
  static const DsdAccountState ok = { FALSE, 1000 }, off = { TRUE, 0 };
  g_autoptr(GHashTable) table = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *ids;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (loads->batches->len, >, 0);
  ids = g_ptr_array_index (loads->batches, loads->batches->len - 1);
  g_hash_table_insert (table, "u-ok", (gpointer) &ok);
  g_hash_table_insert (table, "u-off", (gpointer) &off);
  dsd_account_states_loaded (states, ids, error == NULL ? table : NULL, error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
assert_verdict (DsdAccountStates  *states,
                DsdPrincipal      *principal,
                DsdAccountVerdict  expected,
                const char        *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (dsd_account_states_check (states, principal, &error), ==, expected);
  if (message != NULL)
    g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED);
  g_assert_cmpstr (error != NULL ? error->message : NULL, ==, message);
}

static void
test_account_states (void)
{
  Loads loads = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref) };
  g_autoptr(DsdClock) clock = dsd_clock_new_frozen (G_GINT64_CONSTANT (1800000000000000));
  g_autoptr(DsdAccountStates) states = dsd_account_states_new (clock, 1000, record_load, &loads);
  g_autoptr(DsdPrincipal) ok = dsd_principal_new (DSD_ROLE_DRIVER, "u-ok", NULL, NULL, NULL);
  g_autoptr(DsdPrincipal) old = dsd_principal_new (DSD_ROLE_DRIVER, "u-ok", NULL, NULL, NULL);
  g_autoptr(DsdPrincipal) off = dsd_principal_new (DSD_ROLE_ADMIN, "u-off", NULL, NULL, NULL);
  g_autoptr(DsdPrincipal) gone = dsd_principal_new (DSD_ROLE_ADMIN, "u-gone", NULL, NULL, NULL);
  g_autoptr(GError) failure = g_error_new_literal (DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                                                   "database unavailable");
  GPtrArray *batch;

  ok->issued_at_s = 1000;
  old->issued_at_s = 999;
  off->issued_at_s = 5000;

  /* Nothing known: every user waits, and the loads go out as one batch. */
  assert_verdict (states, ok, DSD_ACCOUNT_UNKNOWN, NULL);
  assert_verdict (states, off, DSD_ACCOUNT_UNKNOWN, NULL);
  assert_verdict (states, gone, DSD_ACCOUNT_UNKNOWN, NULL);
  dsd_account_states_wait_async (states, "u-ok", waited_cb, &loads);
  answer_load (states, &loads, NULL);
  g_assert_cmpuint (loads.batches->len, ==, 1);
  batch = g_ptr_array_index (loads.batches, 0);
  g_assert_cmpuint (batch->len, ==, 3);
  g_assert_true (loads.waited);
  g_assert_no_error (loads.wait_error);

  assert_verdict (states, ok, DSD_ACCOUNT_ALLOWED, NULL);
  assert_verdict (states, old, DSD_ACCOUNT_REFUSED,
                  "this access token has been revoked, sign in again");
  assert_verdict (states, off, DSD_ACCOUNT_REFUSED, "this account is disabled");
  assert_verdict (states, gone, DSD_ACCOUNT_REFUSED, "the token's user does not exist");
  g_assert_cmpuint (loads.batches->len, ==, 1);

  /* Older than the refresh interval: still decides, and reloads behind. */
  dsd_clock_advance (clock, 1500 * G_TIME_SPAN_MILLISECOND);
  assert_verdict (states, off, DSD_ACCOUNT_REFUSED, "this account is disabled");
  answer_load (states, &loads, NULL);
  g_assert_cmpuint (loads.batches->len, ==, 2);
  g_assert_cmpuint (((GPtrArray *) g_ptr_array_index (loads.batches, 1))->len, ==, 1);

  /* Too old to trust: wait for a load. */
  dsd_clock_advance (clock, (DSD_ACCOUNT_STATES_MAX_AGE_MS + 1) * G_TIME_SPAN_MILLISECOND);
  assert_verdict (states, ok, DSD_ACCOUNT_UNKNOWN, NULL);
  answer_load (states, &loads, NULL);
  assert_verdict (states, ok, DSD_ACCOUNT_ALLOWED, NULL);

  /* A change made here is seen at once; a failed load fails the waiters. */
  dsd_account_states_forget (states, "u-ok");
  assert_verdict (states, ok, DSD_ACCOUNT_UNKNOWN, NULL);
  loads.waited = FALSE;
  dsd_account_states_wait_async (states, "u-ok", waited_cb, &loads);
  answer_load (states, &loads, failure);
  g_assert_true (loads.waited);
  g_assert_error (loads.wait_error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE);
  g_clear_error (&loads.wait_error);
  assert_verdict (states, ok, DSD_ACCOUNT_UNKNOWN, NULL);
  answer_load (states, &loads, NULL);
  assert_verdict (states, ok, DSD_ACCOUNT_ALLOWED, NULL);

  g_ptr_array_unref (loads.batches);
}

static void
hashed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  char **hash = user_data;
  g_autoptr(GError) error = NULL;

  *hash = dsd_password_hash_finish (result, &error);
  g_assert_no_error (error);
}

static void
verified_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  int *verdict = user_data;

  *verdict = dsd_password_verify_finish (result);
}

static void
test_password (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *other_hash = NULL;

  g_assert_true (dsd_password_init (&error));
  g_assert_no_error (error);

  hash = dsd_password_hash ("correct horse", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (hash, "$argon2id$"));
  g_assert_true (dsd_password_verify (hash, "correct horse"));
  g_assert_false (dsd_password_verify (hash, "correct horse "));
  g_assert_false (dsd_password_verify ("not a hash", "correct horse"));

  /* Salted: the same password hashes differently. */
  other_hash = dsd_password_hash ("correct horse", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hash, !=, other_hash);
}

static void
test_password_async (void)
{
  g_autofree char *hash = NULL;
  int right = -1;
  int wrong = -1;
  int unknown_user = -1;

  dsd_password_hash_async ("battery staple", NULL, hashed_cb, &hash);
  while (hash == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (dsd_password_verify (hash, "battery staple"));

  dsd_password_verify_async (hash, "battery staple", NULL, verified_cb, &right);
  dsd_password_verify_async (hash, "battery", NULL, verified_cb, &wrong);
  dsd_password_verify_async (NULL, "battery staple", NULL, verified_cb, &unknown_user);
  while (right < 0 || wrong < 0 || unknown_user < 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpint (right, ==, TRUE);
  g_assert_cmpint (wrong, ==, FALSE);
  g_assert_cmpint (unknown_user, ==, FALSE);
}

static void
test_password_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  int verdict = -1;

  g_cancellable_cancel (cancellable);
  dsd_password_verify_async ("$argon2id$whatever", "x", cancellable, verified_cb, &verdict);
  while (verdict < 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (verdict, ==, FALSE);
}

static void
test_rate_limiter (void)
{
  g_autoptr(DsdClock) clock = dsd_clock_new_frozen (0);
  g_autoptr(DsdRateLimiter) limiter = dsd_rate_limiter_new (clock, 3, 1);
  guint retry_after = 0;

  g_assert_true (dsd_rate_limiter_check (limiter, "ann", &retry_after));
  for (guint i = 0; i < 3; i++)
    g_assert_true (dsd_rate_limiter_hit (limiter, "ann", &retry_after));

  g_assert_false (dsd_rate_limiter_hit (limiter, "ann", &retry_after));
  g_assert_cmpuint (retry_after, >=, 1);
  g_assert_cmpuint (retry_after, <=, 2);
  retry_after = 0;
  g_assert_false (dsd_rate_limiter_check (limiter, "ann", &retry_after));
  g_assert_cmpuint (retry_after, >=, 1);

  /* Keys are independent; a reset forgets one. */
  g_assert_true (dsd_rate_limiter_hit (limiter, "bob", &retry_after));
  dsd_rate_limiter_reset (limiter, "bob");
  dsd_rate_limiter_reset (limiter, "nobody");

  /* A window (plus a sixteenth of it) later the hits are forgotten. */
  dsd_clock_advance (clock, 1100 * 1000);
  g_assert_true (dsd_rate_limiter_check (limiter, "ann", NULL));
  g_assert_true (dsd_rate_limiter_hit (limiter, "ann", NULL));
}

static void
test_rate_limiter_sliding (void)
{
  g_autoptr(DsdClock) clock = dsd_clock_new_frozen (0);
  g_autoptr(DsdRateLimiter) limiter = dsd_rate_limiter_new (clock, 2, 2);

  /* Never more than the limit within any window: a hit half a window after
   * the first still counts the first. */
  g_assert_true (dsd_rate_limiter_hit (limiter, "k", NULL));
  dsd_clock_advance (clock, 1000 * 1000);
  g_assert_true (dsd_rate_limiter_hit (limiter, "k", NULL));
  g_assert_false (dsd_rate_limiter_hit (limiter, "k", NULL));

  /* After the first hit's window, one more fits. */
  dsd_clock_advance (clock, 1200 * 1000);
  g_assert_true (dsd_rate_limiter_hit (limiter, "k", NULL));
  g_assert_false (dsd_rate_limiter_hit (limiter, "k", NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/jwt/roundtrip", test_roundtrip);
  g_test_add_func ("/jwt/roles", test_roles);
  g_test_add_func ("/jwt/tampered", test_tampered);
  g_test_add_func ("/jwt/wrong-secret", test_wrong_secret);
  g_test_add_func ("/jwt/expired", test_expired);
  g_test_add_func ("/jwt/time-claims", test_time_claims);
  g_test_add_func ("/account-states/verdicts", test_account_states);
  g_test_add_func ("/jwt/expired-in-cache", test_expired_in_cache);
  g_test_add_func ("/jwt/bad-claims", test_bad_claims);
  g_test_add_func ("/jwt/other-algorithms", test_other_algorithms);
  g_test_add_func ("/password/hash-verify", test_password);
  g_test_add_func ("/password/async", test_password_async);
  g_test_add_func ("/password/cancelled", test_password_cancelled);
  g_test_add_func ("/rate-limiter/window", test_rate_limiter);
  g_test_add_func ("/rate-limiter/sliding", test_rate_limiter_sliding);

  return g_test_run ();
}
