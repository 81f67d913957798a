/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DC_TYPE_CHART (dc_chart_get_type ())

G_DECLARE_FINAL_TYPE (DcChart, dc_chart, DC, CHART, GtkWidget)

typedef enum
{
  DC_CHART_BARS,  /* stacked on the other bar series */
  DC_CHART_LINE,
} DcChartKind;

/* How the values read on the axis and in the tooltip. */
typedef enum
{
  DC_CHART_COUNT,
  DC_CHART_PERCENT,  /* a ratio, 0.25 reads 25 % */
  DC_CHART_MINUTES,  /* seconds, read as minutes */
} DcChartUnit;

/*
 * DcChart:
 *
 * A chart of series over categories (hours, days, drivers), drawn with
 * cairo: stacked bars and lines on one value axis from zero, category labels
 * below (thinned to fit), a legend above, the values of the category under
 * the pointer as tooltip. A missing value (NAN) leaves a gap.
 */
DcChart *dc_chart_new          (const char        *title,
                                DcChartUnit        unit);
/* Drops the series and takes @labels as the categories. */
void     dc_chart_set_labels   (DcChart           *self,
                                const char * const *labels);
/* @values has one value per category. */
void     dc_chart_add_series   (DcChart           *self,
                                const char        *name,
                                const char        *color,
                                DcChartKind        kind,
                                const double      *values);
guint    dc_chart_get_n_series (DcChart           *self);
double   dc_chart_get_value    (DcChart           *self,
                                guint              series,
                                guint              category);
/* The top of the value axis. */
double   dc_chart_get_axis_max (DcChart           *self);

G_END_DECLS
