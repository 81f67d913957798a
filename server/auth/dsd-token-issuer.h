/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-clock.h"
#include "dsd-principal.h"

G_BEGIN_DECLS

/*
 * HS256 JWT access tokens (libjwt). Claims: sub (user id), name (username),
 * role, did (driver id), cid (customer id), iat, nbf, exp. Verification rejects
 * any algorithm but HS256, bad signatures, expired tokens, tokens without iat,
 * with an iat in the future or an nbf not reached yet (both beyond
 * DSD_TOKEN_ISSUER_LEEWAY_S of clock skew; libjwt 1.10 checks none of these
 * claims itself), all as DISPATCH_ERROR_UNAUTHENTICATED. Whether the user
 * still exists and the token is not revoked is dsd-account-states.h's. Verified
 * tokens are cached (bounded), so verifying a known token is a hash lookup.
 * Thread-safe.
 */
#define DSD_TYPE_TOKEN_ISSUER (dsd_token_issuer_get_type ())
G_DECLARE_FINAL_TYPE (DsdTokenIssuer, dsd_token_issuer, DSD, TOKEN_ISSUER, GObject)

/* The secret is used as raw bytes and must be at least this long (the
 * configuration validates it; a shorter one here is a programming error). */
#define DSD_TOKEN_ISSUER_MIN_SECRET_SIZE 32
/* Clock skew tolerated between instances for iat and nbf. */
#define DSD_TOKEN_ISSUER_LEEWAY_S 30

/* Tokens expire by the clock. */
DsdTokenIssuer *dsd_token_issuer_new    (DsdClock           *clock,
                                         GBytes             *secret,
                                         guint               lifetime_s);
guint           dsd_token_issuer_get_lifetime (DsdTokenIssuer *self);
/* iat (and nbf) is now, or not_before_s when that is later: the user's
 * tokens_valid_after rounded up, so that a token issued in the second of a
 * revocation is not refused with the revoked ones. */
char           *dsd_token_issuer_issue  (DsdTokenIssuer     *self,
                                         const DsdPrincipal *principal,
                                         gint64              not_before_s);
DsdPrincipal   *dsd_token_issuer_verify (DsdTokenIssuer     *self,
                                         const char         *token,
                                         GError            **error);

G_END_DECLS
