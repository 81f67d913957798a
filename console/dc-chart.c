/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "dc-chart.h"

#define PADDING      8.0
#define AXIS_WIDTH   60.0
#define LABELS_HEIGHT 22.0
#define HEADER_HEIGHT 26.0
#define TICKS        4
#define BAR_SHARE    0.7
#define LABEL_GAP    8.0

typedef struct
{
  char *name;
  GdkRGBA color;
  DcChartKind kind;
  double *values;
} Series;

struct _DcChart
{
  GtkWidget parent_instance;

  char *title;
  DcChartUnit unit;
  GStrv labels;
  guint n_labels;
  GPtrArray *series;
};

G_DEFINE_FINAL_TYPE (DcChart, dc_chart, GTK_TYPE_WIDGET)

static void
series_free (Series *series)
{
  g_free (series->name);
  g_free (series->values);
  g_free (series);
}

/* A value in the unit the axis shows. */
static double
shown (DcChart *self,
       double   value)
{
  return self->unit == DC_CHART_MINUTES ? value / 60 : value;
}

static char *
format_value (DcChart *self,
              double   value)
{
  if (isnan (value))
    return g_strdup ("–");
  switch (self->unit)
    {
    case DC_CHART_PERCENT:
      return g_strdup_printf (_("%.0f %%"), value * 100);
    case DC_CHART_MINUTES:
      return g_strdup_printf (_("%.1f min"), value / 60);
    case DC_CHART_COUNT:
    default:
      return g_strdup_printf ("%g", value);
    }
}

/* The top of the axis (in shown units): a round number above every stack
 * and every line point; 100 % for ratios that stay below it. */
static double
axis_max (DcChart *self,
          double  *out_step)
{
  double top = 0;
  double raw, magnitude, step = 1;
  static const double nice[] = { 1, 2, 2.5, 5, 10 };

  for (guint c = 0; c < self->n_labels; c++)
    {
      double stack = 0;

      for (guint s = 0; s < self->series->len; s++)
        {
          Series *series = g_ptr_array_index (self->series, s);
          double value = shown (self, series->values[c]);

          if (isnan (value))
            continue;
          if (series->kind == DC_CHART_BARS)
            stack += value;
          else
            top = MAX (top, value);
        }
      top = MAX (top, stack);
    }

  if (self->unit == DC_CHART_PERCENT && top <= 1)
    top = 1;
  if (top <= 0)
    top = self->unit == DC_CHART_COUNT ? TICKS : 1;

  raw = top / TICKS;
  magnitude = pow (10, floor (log10 (raw)));
  for (guint i = 0; i < G_N_ELEMENTS (nice); i++)
    if ((step = nice[i] * magnitude) >= raw)
      break;
  if (self->unit == DC_CHART_COUNT)
    step = MAX (step, 1);
  *out_step = step;

  return step * ceil (top / step - 1e-9);
}

static PangoLayout *
new_layout (GtkWidget  *widget,
            const char *text,
            gboolean    bold)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);

  if (bold)
    {
      g_autoptr(PangoAttrList) attributes = pango_attr_list_new ();

      pango_attr_list_insert (attributes, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
      pango_layout_set_attributes (layout, attributes);
    }
  return layout;
}

static void
show_text (GtkWidget  *widget,
           cairo_t    *cr,
           const char *text,
           double      x,
           double      y,
           double      xalign,
           gboolean    bold)
{
  g_autoptr(PangoLayout) layout = new_layout (widget, text, bold);
  int width, height;

  pango_layout_get_pixel_size (layout, &width, &height);
  cairo_move_to (cr, x - xalign * width, y - height / 2.0);
  pango_cairo_show_layout (cr, layout);
}

static double
text_width (GtkWidget  *widget,
            const char *text,
            gboolean    bold)
{
  g_autoptr(PangoLayout) layout = new_layout (widget, text, bold);
  int width;

  pango_layout_get_pixel_size (layout, &width, NULL);
  return width;
}

/* The header: the title, then a swatch and the name of each series, on as
 * many lines as they need; draws with @cr, measures without. Returns its
 * height. */
static double
layout_header (DcChart       *self,
               cairo_t       *cr,
               const GdkRGBA *fg)
{
  GtkWidget *widget = GTK_WIDGET (self);
  double right = gtk_widget_get_width (widget) - PADDING;
  double x = PADDING, y = PADDING + HEADER_HEIGHT / 2;

  if (cr != NULL)
    {
      gdk_cairo_set_source_rgba (cr, fg);
      show_text (widget, cr, self->title, x, y, 0, TRUE);
    }
  x += text_width (widget, self->title, TRUE) + 3 * LABEL_GAP;

  for (guint s = 0; s < self->series->len; s++)
    {
      Series *series = g_ptr_array_index (self->series, s);
      double width = 16 + text_width (widget, series->name, FALSE);

      if (x + width > right && x > PADDING)
        {
          x = PADDING;
          y += HEADER_HEIGHT;
        }
      if (cr != NULL)
        {
          gdk_cairo_set_source_rgba (cr, &series->color);
          if (series->kind == DC_CHART_BARS)
            cairo_rectangle (cr, x, y - 5, 10, 10);
          else
            cairo_rectangle (cr, x, y - 1.5, 12, 3);
          cairo_fill (cr);
          gdk_cairo_set_source_rgba (cr, fg);
          show_text (widget, cr, series->name, x + 16, y, 0, FALSE);
        }
      x += width + 2 * LABEL_GAP;
    }

  return y + HEADER_HEIGHT / 2 - PADDING;
}

static void
plot_area (DcChart         *self,
           graphene_rect_t *area)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  double header = layout_header (self, NULL, NULL) + 6;

  *area = GRAPHENE_RECT_INIT (PADDING + AXIS_WIDTH, PADDING + header,
                              MAX (width - 2 * PADDING - AXIS_WIDTH, 1),
                              MAX (height - 2 * PADDING - header - LABELS_HEIGHT, 1));
}

static void
draw_axes (DcChart               *self,
           cairo_t               *cr,
           const graphene_rect_t *area,
           double                 top,
           double                 step,
           const GdkRGBA         *fg)
{
  GtkWidget *widget = GTK_WIDGET (self);
  double slot = area->size.width / MAX (self->n_labels, 1);
  double widest = 0;
  guint every;

  cairo_set_line_width (cr, 1);
  for (double value = 0; value <= top + step / 2; value += step)
    {
      double y = round (area->origin.y + area->size.height * (1 - value / top)) + 0.5;
      g_autofree char *text = NULL;

      cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, value == 0 ? 0.5 : 0.12);
      cairo_move_to (cr, area->origin.x, y);
      cairo_line_to (cr, area->origin.x + area->size.width, y);
      cairo_stroke (cr);

      if (self->unit == DC_CHART_MINUTES)
        text = g_strdup_printf (_("%g min"), value);
      else
        text = format_value (self, value);
      cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.7);
      show_text (widget, cr, text, area->origin.x - 6, y, 1, FALSE);
    }

  /* as many category labels as fit side by side */
  for (guint c = 0; c < self->n_labels; c++)
    widest = MAX (widest, text_width (widget, self->labels[c], FALSE));
  every = (guint) ceil ((widest + LABEL_GAP) / slot);
  every = MAX (every, 1);
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.7);
  for (guint c = 0; c < self->n_labels; c += every)
    show_text (widget, cr, self->labels[c], area->origin.x + (c + 0.5) * slot,
               area->origin.y + area->size.height + LABELS_HEIGHT / 2 + 2, 0.5, FALSE);
}

static void
draw_series (DcChart               *self,
             cairo_t               *cr,
             const graphene_rect_t *area,
             double                 top)
{
  double slot = area->size.width / MAX (self->n_labels, 1);
  g_autofree double *stacks = g_new0 (double, self->n_labels + 1);

#define Y_OF(v) (area->origin.y + area->size.height * (1 - (v) / top))

  for (guint s = 0; s < self->series->len; s++)
    {
      Series *series = g_ptr_array_index (self->series, s);

      if (series->kind != DC_CHART_BARS)
        continue;
      gdk_cairo_set_source_rgba (cr, &series->color);
      for (guint c = 0; c < self->n_labels; c++)
        {
          double value = shown (self, series->values[c]);
          double x = area->origin.x + (c + (1 - BAR_SHARE) / 2) * slot;

          if (isnan (value) || value <= 0)
            continue;
          cairo_rectangle (cr, x, Y_OF (stacks[c] + value), MAX (slot * BAR_SHARE, 1),
                           Y_OF (stacks[c]) - Y_OF (stacks[c] + value));
          stacks[c] += value;
        }
      cairo_fill (cr);
    }

  cairo_set_line_width (cr, 2);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint s = 0; s < self->series->len; s++)
    {
      Series *series = g_ptr_array_index (self->series, s);
      gboolean drawing = FALSE;

      if (series->kind != DC_CHART_LINE)
        continue;
      gdk_cairo_set_source_rgba (cr, &series->color);
      for (guint c = 0; c < self->n_labels; c++)
        {
          double value = shown (self, series->values[c]);
          double x = area->origin.x + (c + 0.5) * slot;

          if (isnan (value))
            {
              drawing = FALSE;
              continue;
            }
          if (drawing)
            cairo_line_to (cr, x, Y_OF (value));
          else
            cairo_move_to (cr, x, Y_OF (value));
          drawing = TRUE;
        }
      cairo_stroke (cr);
      /* the points, so that a lone value between gaps shows too */
      for (guint c = 0; c < self->n_labels; c++)
        {
          double value = shown (self, series->values[c]);

          if (isnan (value))
            continue;
          cairo_arc (cr, area->origin.x + (c + 0.5) * slot, Y_OF (value), 2.5, 0, 2 * G_PI);
          cairo_fill (cr);
        }
    }
#undef Y_OF
}

static void
dc_chart_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  DcChart *self = DC_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  graphene_rect_t area;
  GdkRGBA fg;
  double top, step;
  cairo_t *cr;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  plot_area (self, &area);
  top = axis_max (self, &step);
  layout_header (self, cr, &fg);
  draw_axes (self, cr, &area, top, step, &fg);
  draw_series (self, cr, &area, top);
  cairo_destroy (cr);
}

static gboolean
dc_chart_query_tooltip (GtkWidget  *widget,
                        int         x,
                        int         y,
                        gboolean    keyboard,
                        GtkTooltip *tooltip)
{
  DcChart *self = DC_CHART (widget);
  g_autoptr(GString) text = NULL;
  graphene_rect_t area;
  int c;

  plot_area (self, &area);
  if (self->n_labels == 0 || !graphene_rect_contains_point (&area, &GRAPHENE_POINT_INIT (x, y)))
    return FALSE;

  c = (int) ((x - area.origin.x) / (area.size.width / self->n_labels));
  c = CLAMP (c, 0, (int) self->n_labels - 1);
  text = g_string_new (self->labels[c]);
  for (guint s = 0; s < self->series->len; s++)
    {
      Series *series = g_ptr_array_index (self->series, s);
      g_autofree char *value = format_value (self, series->values[c]);

      g_string_append_printf (text, "\n%s: %s", series->name, value);
    }
  gtk_tooltip_set_text (tooltip, text->str);

  return TRUE;
}

static void
dc_chart_measure (GtkWidget      *widget,
                  GtkOrientation  orientation,
                  int             for_size,
                  int            *minimum,
                  int            *natural,
                  int            *minimum_baseline,
                  int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = 240;
  else
    *minimum = *natural = 200;
}

static void
dc_chart_finalize (GObject *object)
{
  DcChart *self = DC_CHART (object);

  g_free (self->title);
  g_strfreev (self->labels);
  g_ptr_array_unref (self->series);

  G_OBJECT_CLASS (dc_chart_parent_class)->finalize (object);
}

static void
dc_chart_class_init (DcChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = dc_chart_finalize;
  widget_class->snapshot = dc_chart_snapshot;
  widget_class->measure = dc_chart_measure;
  widget_class->query_tooltip = dc_chart_query_tooltip;
  gtk_widget_class_set_css_name (widget_class, "dc-chart");
}

static void
dc_chart_init (DcChart *self)
{
  self->series = g_ptr_array_new_with_free_func ((GDestroyNotify) series_free);
  self->labels = g_new0 (char *, 1);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
}

DcChart *
dc_chart_new (const char  *title,
              DcChartUnit  unit)
{
  DcChart *self = g_object_new (DC_TYPE_CHART, NULL);

  self->title = g_strdup (title);
  self->unit = unit;

  return self;
}

void
dc_chart_set_labels (DcChart            *self,
                     const char * const *labels)
{
  g_return_if_fail (DC_IS_CHART (self));

  g_strfreev (self->labels);
  self->labels = g_strdupv ((char **) labels);
  self->n_labels = g_strv_length (self->labels);
  g_ptr_array_set_size (self->series, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dc_chart_add_series (DcChart      *self,
                     const char   *name,
                     const char   *color,
                     DcChartKind   kind,
                     const double *values)
{
  Series *series;

  g_return_if_fail (DC_IS_CHART (self));

  series = g_new0 (Series, 1);
  series->name = g_strdup (name);
  series->kind = kind;
  series->values = g_memdup2 (values, sizeof (double) * MAX (self->n_labels, 1));
  if (!gdk_rgba_parse (&series->color, color))
    g_critical ("%s: “%s” is not a colour", G_STRFUNC, color);
  g_ptr_array_add (self->series, series);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
dc_chart_get_n_series (DcChart *self)
{
  g_return_val_if_fail (DC_IS_CHART (self), 0);

  return self->series->len;
}

double
dc_chart_get_value (DcChart *self,
                    guint    series,
                    guint    category)
{
  g_return_val_if_fail (DC_IS_CHART (self), NAN);
  g_return_val_if_fail (series < self->series->len && category < self->n_labels, NAN);

  return ((Series *) g_ptr_array_index (self->series, series))->values[category];
}

double
dc_chart_get_axis_max (DcChart *self)
{
  double step;

  g_return_val_if_fail (DC_IS_CHART (self), 0);

  return axis_max (self, &step);
}
