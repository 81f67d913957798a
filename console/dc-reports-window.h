/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dc-chart.h"
#include "dc-context.h"

G_BEGIN_DECLS

#define DC_TYPE_REPORTS_WINDOW (dc_reports_window_get_type ())

G_DECLARE_FINAL_TYPE (DcReportsWindow, dc_reports_window, DC, REPORTS_WINDOW, AdwWindow)

typedef enum
{
  DC_REPORTS_ORDERS_CHART,       /* delivered, failed, cancelled, open: stacked */
  DC_REPORTS_ON_TIME_CHART,      /* on-time rate */
  DC_REPORTS_DURATIONS_CHART,    /* assign, pickup wait, delivery: p50 and p90 */
  DC_REPORTS_UTILISATION_CHART,  /* utilisation */
  DC_REPORTS_N_CHARTS
} DcReportsChart;

typedef enum
{
  DC_REPORTS_EXPORT_ORDERS,
  DC_REPORTS_EXPORT_FIGURES,
} DcReportsExport;

/*
 * DcReportsWindow:
 *
 * The figures of a period from GET /api/v1/reports/figures: a period (today,
 * the last 7 or 30 days, or chosen days; UTC days, as the server counts
 * them), over time by hour or day or grouped by driver, zone or team; drawn
 * as charts and listed in a table. "Export" saves the period's orders or
 * its figures as CSV, streamed to the file.
 */
DcReportsWindow *dc_reports_window_new         (DcContext       *context);
/* Chooses "Custom" from @from to @to (dates "YYYY-MM-DD", both included)
 * and loads it. */
void             dc_reports_window_set_days    (DcReportsWindow *self,
                                                const char      *from,
                                                const char      *to);
/* Loads (again) what the controls say. */
void             dc_reports_window_reload      (DcReportsWindow *self);
/* Loading figures or exporting. */
gboolean         dc_reports_window_is_busy     (DcReportsWindow *self);
/* The rows shown (the server's "rows"); NULL before the first load. */
JsonArray       *dc_reports_window_get_rows    (DcReportsWindow *self);
DcChart         *dc_reports_window_get_chart   (DcReportsWindow *self,
                                                DcReportsChart   chart);
/* The text of the table's cell; row 0 is the header. */
const char      *dc_reports_window_get_cell    (DcReportsWindow *self,
                                                guint            row,
                                                guint            column);
/* Saves the current period's export to @file; a toast says how it went. */
void             dc_reports_window_export      (DcReportsWindow *self,
                                                DcReportsExport  kind,
                                                GFile           *file);

G_END_DECLS
