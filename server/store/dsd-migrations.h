/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Applies the SQL migrations carried in the server's GResource under
 * /io/github/dispatchd/server/sql/ (NNNN-name.sql, in name order), each in its
 * own transaction, recorded in table schema_migrations(version, name, checksum,
 * applied_at), under pg_advisory_lock so that concurrent starts apply each
 * exactly once. A file runs as one PQexec between our BEGIN and COMMIT: it must
 * not contain transaction control itself. An applied file that has changed
 * since is reported with a warning, not applied again.
 * n_applied: (out) (optional): how many were applied now.
 * Synchronous on a private connection: it runs before the server serves and
 * from dispatchctl, never from a request.
 */
gboolean dsd_migrations_apply (const char *conninfo,
                               guint      *n_applied,
                               GError    **error);

G_END_DECLS
