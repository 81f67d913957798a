/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-auth"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "dispatch-error.h"

#include "dsd-token-issuer.h"

/* Longer "tokens" are not ours; do not make libjwt parse them. */
#define MAX_TOKEN_LENGTH 4096
/*
 * Clients send the same token with every request, and decoding one costs two
 * JSON parses and an HMAC. Verified tokens are remembered (keyed by the exact
 * token text, so nothing but the expiry needs checking again). The cache is
 * emptied when it reaches MAX_CACHED_TOKENS, which bounds its memory.
 */
#define MAX_CACHED_TOKENS 4096

typedef struct {
  DsdPrincipal *principal;
  gint64        expires_s;
} CachedToken;

struct _DsdTokenIssuer
{
  GObject     parent_instance;

  DsdClock   *clock;
  GBytes     *secret;
  guint       lifetime_s;

  GMutex      mutex;
  GHashTable *cache;        /* token → CachedToken */
};

G_DEFINE_FINAL_TYPE (DsdTokenIssuer, dsd_token_issuer, G_TYPE_OBJECT)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (jwt_t, jwt_free)

static void
cached_token_free (gpointer data)
{
  CachedToken *cached = data;

  dsd_principal_unref (cached->principal);
  g_free (cached);
}

static gboolean
set_invalid (GError     **error,
             const char  *message)
{
  g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED, message);
  return FALSE;
}

static gboolean
check_expiry (DsdTokenIssuer  *self,
              gint64           expires_s,
              GError         **error)
{
  if (dsd_clock_get_real_us (self->clock) / G_USEC_PER_SEC >= expires_s)
    return set_invalid (error, "access token expired");

  return TRUE;
}

/* A NumericDate claim: FALSE when present but not a positive integer; 0 when absent. */
static gboolean
get_time_claim (jwt_t      *jwt,
                const char *name,
                gint64     *value)
{
  char *json;
  gboolean absent;

  /* libjwt answers -1 for a missing or non-integer claim, not always with
   * errno set; the claim's JSON tells which. */
  errno = 0;
  *value = jwt_get_grant_int (jwt, name);
  if (errno == 0 && *value > 0)
    return TRUE;

  *value = 0;
  json = jwt_get_grants_json (jwt, name);
  absent = json == NULL;
  free (json);

  return absent;
}

/* iat is required (revocation compares it) and not in the future; nbf, when
 * present, has been reached. */
static gboolean
check_issued (DsdTokenIssuer  *self,
              jwt_t           *jwt,
              gint64          *issued_s,
              GError         **error)
{
  gint64 now_s = dsd_clock_get_real_us (self->clock) / G_USEC_PER_SEC;
  gint64 not_before_s;

  if (!get_time_claim (jwt, "iat", issued_s) || *issued_s == 0 ||
      !get_time_claim (jwt, "nbf", &not_before_s))
    return set_invalid (error, "invalid access token");

  if (*issued_s > now_s + DSD_TOKEN_ISSUER_LEEWAY_S)
    return set_invalid (error, "access token issued in the future");
  if (not_before_s > now_s + DSD_TOKEN_ISSUER_LEEWAY_S)
    return set_invalid (error, "access token not valid yet");

  return TRUE;
}

static DsdPrincipal *
decode_token (DsdTokenIssuer  *self,
              const char      *token,
              gint64          *expires_s,
              GError         **error)
{
  g_autoptr(jwt_t) jwt = NULL;
  DsdPrincipal *principal;
  const char *subject;
  gint64 issued_s;
  DsdRole role;
  gsize key_len;
  const guchar *key = g_bytes_get_data (self->secret, &key_len);

  /* With a key, libjwt refuses alg "none"; any other algorithm than ours
   * (HS384, RS256 with our secret as a "public key", …) is refused here. */
  if (jwt_decode (&jwt, token, key, (int) key_len) != 0 || jwt == NULL ||
      jwt_get_alg (jwt) != JWT_ALG_HS256)
    {
      set_invalid (error, "invalid access token");
      return NULL;
    }

  /* libjwt answers -1 for a missing or non-integer claim, not always with
   * errno set. */
  errno = 0;
  *expires_s = jwt_get_grant_int (jwt, "exp");
  if (errno != 0 || *expires_s <= 0)
    {
      set_invalid (error, "invalid access token");
      return NULL;
    }

  if (!check_expiry (self, *expires_s, error) || !check_issued (self, jwt, &issued_s, error))
    return NULL;

  subject = jwt_get_grant (jwt, "sub");
  if (subject == NULL || !dsd_role_from_string (jwt_get_grant (jwt, "role"), &role))
    {
      set_invalid (error, "invalid access token");
      return NULL;
    }

  principal = dsd_principal_new (role, subject,
                                 jwt_get_grant (jwt, "name"),
                                 jwt_get_grant (jwt, "did"),
                                 jwt_get_grant (jwt, "cid"));
  principal->issued_at_s = issued_s;

  return principal;
}

static void
dsd_token_issuer_finalize (GObject *object)
{
  DsdTokenIssuer *self = (DsdTokenIssuer *)object;

  g_clear_pointer (&self->secret, g_bytes_unref);
  g_clear_object (&self->clock);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (dsd_token_issuer_parent_class)->finalize (object);
}

static void
dsd_token_issuer_class_init (DsdTokenIssuerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dsd_token_issuer_finalize;
}

static void
dsd_token_issuer_init (DsdTokenIssuer *self)
{
  g_mutex_init (&self->mutex);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cached_token_free);
}

DsdTokenIssuer *
dsd_token_issuer_new (DsdClock *clock,
                      GBytes   *secret,
                      guint     lifetime_s)
{
  DsdTokenIssuer *self;

  g_return_val_if_fail (DSD_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (g_bytes_get_size (secret) >= DSD_TOKEN_ISSUER_MIN_SECRET_SIZE, NULL);
  g_return_val_if_fail (g_bytes_get_size (secret) <= G_MAXINT, NULL);
  g_return_val_if_fail (lifetime_s > 0, NULL);

  self = g_object_new (DSD_TYPE_TOKEN_ISSUER, NULL);
  self->clock = g_object_ref (clock);
  self->secret = g_bytes_ref (secret);
  self->lifetime_s = lifetime_s;

  return self;
}

guint
dsd_token_issuer_get_lifetime (DsdTokenIssuer *self)
{
  g_return_val_if_fail (DSD_IS_TOKEN_ISSUER (self), 0);

  return self->lifetime_s;
}

char *
dsd_token_issuer_issue (DsdTokenIssuer     *self,
                        const DsdPrincipal *principal,
                        gint64              not_before_s)
{
  g_autoptr(jwt_t) jwt = NULL;
  gint64 now_s = dsd_clock_get_real_us (self->clock) / G_USEC_PER_SEC;
  gint64 issued_s;
  gsize key_len;
  const guchar *key;
  char *encoded;
  char *token;
  int rc = 0;

  g_return_val_if_fail (DSD_IS_TOKEN_ISSUER (self), NULL);
  g_return_val_if_fail (principal != NULL, NULL);

  key = g_bytes_get_data (self->secret, &key_len);

  if (jwt_new (&jwt) != 0)
    g_error ("Out of memory creating a token");

  rc |= jwt_set_alg (jwt, JWT_ALG_HS256, key, (int) key_len);
  rc |= jwt_add_grant (jwt, "sub", principal->user_id);
  rc |= jwt_add_grant (jwt, "role", dsd_role_to_string (principal->role));
  if (principal->username != NULL)
    rc |= jwt_add_grant (jwt, "name", principal->username);
  if (principal->driver_id != NULL)
    rc |= jwt_add_grant (jwt, "did", principal->driver_id);
  if (principal->customer_id != NULL)
    rc |= jwt_add_grant (jwt, "cid", principal->customer_id);
  issued_s = MAX (now_s, not_before_s);
  rc |= jwt_add_grant_int (jwt, "iat", issued_s);
  rc |= jwt_add_grant_int (jwt, "nbf", issued_s);
  rc |= jwt_add_grant_int (jwt, "exp", issued_s + self->lifetime_s);

  encoded = rc == 0 ? jwt_encode_str (jwt) : NULL;
  if (encoded == NULL)
    g_error ("Could not encode a token");

  /* libjwt allocates with malloc(); hand out GLib memory. */
  token = g_strdup (encoded);
  free (encoded);

  return token;
}

DsdPrincipal *
dsd_token_issuer_verify (DsdTokenIssuer  *self,
                         const char      *token,
                         GError         **error)
{
  DsdPrincipal *principal = NULL;
  CachedToken *cached;
  gint64 expires_s;

  g_return_val_if_fail (DSD_IS_TOKEN_ISSUER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  if (*token == '\0' || strnlen (token, MAX_TOKEN_LENGTH + 1) > MAX_TOKEN_LENGTH)
    {
      set_invalid (error, "invalid access token");
      return NULL;
    }

  g_mutex_lock (&self->mutex);
  cached = g_hash_table_lookup (self->cache, token);
  if (cached != NULL && check_expiry (self, cached->expires_s, error))
    principal = dsd_principal_ref (cached->principal);
  g_mutex_unlock (&self->mutex);

  if (cached != NULL)
    return principal;

  principal = decode_token (self, token, &expires_s, error);
  if (principal == NULL)
    return NULL;

  cached = g_new0 (CachedToken, 1);
  cached->principal = dsd_principal_ref (principal);
  cached->expires_s = expires_s;

  g_mutex_lock (&self->mutex);
  if (g_hash_table_size (self->cache) >= MAX_CACHED_TOKENS)
    g_hash_table_remove_all (self->cache);
  g_hash_table_replace (self->cache, g_strdup (token), cached);
  g_mutex_unlock (&self->mutex);

  return principal;
}
