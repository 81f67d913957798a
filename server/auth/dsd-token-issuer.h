/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-clock.h"
#include "dsd-principal.h"

G_BEGIN_DECLS

/*
 * HS256 JWT access tokens (libjwt). Claims: sub (user id), name (username),
 * role, did (driver id), cid (customer id), iat, exp. Verification rejects any
 * algorithm but HS256, bad signatures, and expired tokens (checks exp itself:
 * libjwt 1.10 does not), all as DISPATCH_ERROR_UNAUTHENTICATED. Verified
 * tokens are cached (bounded), so verifying a known token is a hash lookup.
 * Thread-safe.
 */
#define DSD_TYPE_TOKEN_ISSUER (dsd_token_issuer_get_type ())
G_DECLARE_FINAL_TYPE (DsdTokenIssuer, dsd_token_issuer, DSD, TOKEN_ISSUER, GObject)

/* The secret is used as raw bytes and must be at least this long (the
 * configuration validates it; a shorter one here is a programming error). */
#define DSD_TOKEN_ISSUER_MIN_SECRET_SIZE 32

/* Tokens expire by the clock. */
DsdTokenIssuer *dsd_token_issuer_new    (DsdClock           *clock,
                                         GBytes             *secret,
                                         guint               lifetime_s);
guint           dsd_token_issuer_get_lifetime (DsdTokenIssuer *self);
char           *dsd_token_issuer_issue  (DsdTokenIssuer     *self,
                                         const DsdPrincipal *principal);
DsdPrincipal   *dsd_token_issuer_verify (DsdTokenIssuer     *self,
                                         const char         *token,
                                         GError            **error);

G_END_DECLS
