/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * Prometheus metrics registry: counters, gauges and histograms with labels,
 * rendered in text format 0.0.4 (HELP/TYPE lines, escaped label values,
 * cumulative buckets with +Inf, _sum, _count, final newline).
 * Families are registered once with their help text and label names; series
 * are created on first use; the text lists families in registration order and
 * their series in creation order. Thread-safe (one internal lock).
 */
#define DSD_TYPE_METRICS (dsd_metrics_get_type ())
G_DECLARE_FINAL_TYPE (DsdMetrics, dsd_metrics, DSD, METRICS, GObject)

DsdMetrics *dsd_metrics_new               (void);

void        dsd_metrics_register_counter  (DsdMetrics   *self,
                                           const char   *name,
                                           const char   *help,
                                           const char  **label_names);
void        dsd_metrics_register_gauge    (DsdMetrics   *self,
                                           const char   *name,
                                           const char   *help,
                                           const char  **label_names);
/* bounds: ascending upper bounds, n_bounds of them; +Inf is implicit. */
void        dsd_metrics_register_histogram (DsdMetrics  *self,
                                           const char   *name,
                                           const char   *help,
                                           const char  **label_names,
                                           const double *bounds,
                                           guint         n_bounds);

/* label_values: as many as the family's label names (NULL-terminated array or NULL when none). */
void        dsd_metrics_counter_add       (DsdMetrics   *self,
                                           const char   *name,
                                           const char  **label_values,
                                           double        value);
void        dsd_metrics_gauge_set         (DsdMetrics   *self,
                                           const char   *name,
                                           const char  **label_values,
                                           double        value);
void        dsd_metrics_histogram_observe (DsdMetrics   *self,
                                           const char   *name,
                                           const char  **label_values,
                                           double        value);
/* Drops every series of a gauge family (before re-filling it from a fresh query). */
void        dsd_metrics_gauge_clear       (DsdMetrics   *self,
                                           const char   *name);

char       *dsd_metrics_render            (DsdMetrics   *self);

G_END_DECLS
