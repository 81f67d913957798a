/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The inner step of the dense assignment solver (dsd-lap.c): relax every
 * column through one row and find the nearest unscanned column. It is where
 * the solver spends its time, so dsd-lap-scan.c is compiled once per vector
 * width the build targets (SSE2/NEON everywhere, AVX2 and AVX-512 on x86-64)
 * and the solver runs the widest one the CPU has (the x86-64 ones exist
 * where DSD_LAP_SCAN_X86 is defined).
 */
typedef struct {
  const double *v;        /* column duals; -INFINITY for a scanned column */
  const gint64 *is_free;  /* -1 for a free column, else 0 */
  double       *d;        /* distances; INFINITY for a scanned column */
  gint64       *pred;     /* the row each column's distance came through */
  guint         n_cols;
  double        forbidden;  /* upper bound on a cost: stands in for +INFINITY */
} DsdLapScan;

/**
 * DsdLapScanRowFunc:
 * @scan: the search state
 * @row: the costs of row @i (@scan->n_cols of them)
 * @i: the row scanned
 * @h: the row's distance minus its dual
 * @out_dist: (out): the distance of the returned column
 *
 * Sets d[c] = min (d[c], h + min (row[c], forbidden) - v[c]), with pred[c] =
 * @i where it lowered, for every column c.
 *
 * Returns: the nearest column (a free one among equal distances)
 */
typedef guint (*DsdLapScanRowFunc) (const DsdLapScan *scan,
                                    const double     *row,
                                    guint             i,
                                    double            h,
                                    double           *out_dist);

guint dsd_lap_scan_row_generic (const DsdLapScan *scan,
                                const double     *row,
                                guint             i,
                                double            h,
                                double           *out_dist);
guint dsd_lap_scan_row_avx2    (const DsdLapScan *scan,
                                const double     *row,
                                guint             i,
                                double            h,
                                double           *out_dist);
guint dsd_lap_scan_row_avx512  (const DsdLapScan *scan,
                                const double     *row,
                                guint             i,
                                double            h,
                                double           *out_dist);

#define DSD_LAP_SCAN_MAX_VARIANTS 3

/**
 * dsd_lap_scan_variants:
 * @out: (out caller-allocates): receives the variants
 *
 * The variants this build has and this CPU runs, widest (the one the solver
 * uses) first; the generic one is always there. Defined in dsd-lap.c.
 *
 * Returns: how many were stored in @out
 */
guint dsd_lap_scan_variants (DsdLapScanRowFunc out[DSD_LAP_SCAN_MAX_VARIANTS]);

G_END_DECLS
