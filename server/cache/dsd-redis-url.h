/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * REDIS_URL: redis://[:password@]host[:port][/db], port 6379 and database 0
 * when left out; the host may be a name, an IPv4 address or [IPv6]. The
 * password may be percent-encoded. Anything else (another scheme, a user
 * name, a query, a fragment, a port or database out of range) is refused.
 */
typedef struct {
  char  *host;
  guint  port;
  char  *password;   /* NULL: no AUTH */
  guint  db;
} DsdRedisUrl;

DsdRedisUrl *dsd_redis_url_parse (const char   *text,
                                  GError      **error);
DsdRedisUrl *dsd_redis_url_copy  (const DsdRedisUrl *self);
void         dsd_redis_url_free  (DsdRedisUrl  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdRedisUrl, dsd_redis_url_free)

G_END_DECLS
