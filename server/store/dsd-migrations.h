/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Brings the database to this build's schema and code, under pg_advisory_lock
 * so that concurrent starts wait for each other:
 * 1. the schema migrations carried in the server's GResource under
 *    /io/github/dispatchd/server/sql/ (NNNN-name.sql, in name order) that are
 *    not applied yet, each in its own transaction, recorded in table
 *    schema_migrations(version, name, checksum, applied_at). A migration is
 *    history: once shipped it never changes. When an applied file differs from
 *    the one applied (name or SHA-256), or the database holds a migration this
 *    build does not carry (a newer dispatchd upgraded it), nothing is applied
 *    and the error names the file.
 * 2. every file under sql/functions/ (NN-topic.sql, in name order, which is
 *    their dependency order), all in one transaction, at every call: the
 *    functions and views are code (CREATE OR REPLACE), the current definition
 *    of each lives in exactly one of these files.
 * A file runs as one PQexec between our BEGIN and COMMIT: it must not contain
 * transaction control itself.
 * n_applied: (out) (optional): how many migrations were applied now.
 * Synchronous on a private connection: it runs before the server serves and
 * from dispatchctl, never from a request.
 */
gboolean dsd_migrations_apply (const char *conninfo,
                               guint      *n_applied,
                               GError    **error);

G_END_DECLS
