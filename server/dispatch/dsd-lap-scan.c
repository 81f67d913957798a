/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Compiled once per variant (server/dispatch/meson.build): DSD_LAP_SCAN_NAME
 * is the function this build of the file defines, DSD_LAP_SCAN_LANES the
 * doubles per vector register of its target (2 for SSE2 or NEON, 4 for AVX2,
 * 8 for AVX-512). GCC/Clang vector extensions, no intrinsics.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dsd-lap-scan.h"

#ifndef DSD_LAP_SCAN_NAME
#error "DSD_LAP_SCAN_NAME and DSD_LAP_SCAN_LANES come from meson.build"
#endif

#define LANES DSD_LAP_SCAN_LANES
/* Independent chains of the running minimum, so that a vector step does not
 * wait for the previous one's comparison. */
#define CHAINS 2

/* The row is usually far larger than the caches and which row comes next is
 * only known when the previous scan ends: ask for its first 4 KiB at once,
 * then keep this many columns ahead, one cache line at a time. */
#define PREFETCH_AHEAD 512
#define DOUBLES_PER_LINE 8

typedef double DVec __attribute__ ((vector_size (LANES * sizeof (double))));
typedef gint64 LVec __attribute__ ((vector_size (LANES * sizeof (gint64))));

/* Nearest column so far of one chain of lanes. */
typedef struct {
  DVec dist;
  LVec col;
} Chain;

static inline DVec
blend (LVec mask,
       DVec if_set,
       DVec if_clear)
{
  return (DVec) (((LVec) if_set & mask) | ((LVec) if_clear & ~mask));
}

/* One column the scalar way; the same rule as relax_lanes(). */
static inline void
relax_one (const DsdLapScan *scan,
           const double     *row,
           guint             i,
           double            h,
           guint             c,
           double           *best,
           guint            *nearest)
{
  double t = h + MIN (row[c], scan->forbidden) - scan->v[c];
  double dc = scan->d[c];

  if (t < dc)
    {
      dc = t;
      scan->d[c] = t;
      scan->pred[c] = i;
    }
  if (dc < *best || (dc == *best && scan->is_free[c]))
    {
      *best = dc;
      *nearest = c;
    }
}

static inline void
relax_lanes (const double *restrict row,
             const double *restrict v,
             const gint64 *restrict is_free,
             double *restrict       d,
             gint64 *restrict       pred,
             DVec                   h,
             DVec                   forbidden,
             LVec                   row_index,
             LVec                   col,
             guint                  c,
             Chain                 *chain)
{
  DVec cost, vc, dc, t;
  LVec free_c, pc, relaxed, take;

  memcpy (&cost, row + c, sizeof cost);
  memcpy (&vc, v + c, sizeof vc);
  memcpy (&dc, d + c, sizeof dc);
  memcpy (&pc, pred + c, sizeof pc);
  memcpy (&free_c, is_free + c, sizeof free_c);

  cost = blend (cost < forbidden, cost, forbidden);
  t = h + cost - vc;
  relaxed = t < dc;
  dc = blend (relaxed, t, dc);
  pc = (row_index & relaxed) | (pc & ~relaxed);
  memcpy (d + c, &dc, sizeof dc);
  memcpy (pred + c, &pc, sizeof pc);

  take = (dc < chain->dist) | ((dc == chain->dist) & free_c);
  chain->dist = blend (take, dc, chain->dist);
  chain->col = (col & take) | (chain->col & ~take);
}

guint
DSD_LAP_SCAN_NAME (const DsdLapScan *scan,
                   const double     *row,
                   guint             i,
                   double            h,
                   double           *out_dist)
{
  const double *restrict v = scan->v;
  const gint64 *restrict is_free = scan->is_free;
  double *restrict d = scan->d;
  gint64 *restrict pred = scan->pred;
  guint n = scan->n_cols;
  guint n_vec = n - n % (CHAINS * LANES);
  DVec zero = { 0 };
  LVec lzero = { 0 };
  DVec hv = zero + h;
  DVec forbidden = zero + scan->forbidden;
  LVec row_index = lzero + (gint64) i;
  LVec lane = lzero;
  Chain chains[CHAINS];
  double best = INFINITY;
  guint nearest = 0;

  for (guint l = 0; l < LANES; l++)
    lane[l] = l;
  for (guint k = 0; k < CHAINS; k++)
    chains[k] = (Chain) { zero + INFINITY, lane };

  for (guint c = 0; c < MIN (PREFETCH_AHEAD, n); c += DOUBLES_PER_LINE)
    __builtin_prefetch (row + c);
  for (guint c = 0; c < n_vec; c += CHAINS * LANES)
    {
      for (guint p = c; p < c + CHAINS * LANES; p += LANES)
        if (p % DOUBLES_PER_LINE == 0 && p + PREFETCH_AHEAD < n)
          __builtin_prefetch (row + p + PREFETCH_AHEAD);
      for (guint k = 0; k < CHAINS; k++)
        relax_lanes (row, v, is_free, d, pred, hv, forbidden, row_index,
                     lane + (gint64) (c + k * LANES), c + k * LANES, &chains[k]);
    }

  for (guint k = 0; k < CHAINS * LANES && n_vec > 0; k++)
    {
      double dist = chains[k / LANES].dist[k % LANES];
      guint col = chains[k / LANES].col[k % LANES];

      if (dist < best || (dist == best && is_free[col]))
        {
          best = dist;
          nearest = col;
        }
    }
  for (guint c = n_vec; c < n; c++)
    relax_one (scan, row, i, h, c, &best, &nearest);

  *out_dist = best;
  return nearest;
}
