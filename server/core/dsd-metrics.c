/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-core"

#include "config.h"

#include <math.h>
#include <string.h>

#include "dsd-metrics.h"

typedef enum {
  FAMILY_COUNTER,
  FAMILY_GAUGE,
  FAMILY_HISTOGRAM,
} FamilyType;

typedef struct {
  char   **label_values;
  double   value;         /* counters and gauges */
  double   sum;           /* histograms: */
  guint64  count;
  guint64 *bucket_counts; /* n_bounds + 1, not cumulative */
} Series;

typedef struct {
  char       *name;
  char       *help;
  FamilyType  type;
  char      **label_names;
  guint       n_labels;
  double     *bounds;
  guint       n_bounds;
  /* Series in creation order, and the same series by joined label values. */
  GPtrArray  *series;
  GHashTable *series_by_key;
} Family;

struct _DsdMetrics
{
  GObject     parent_instance;

  /* Every entry point takes the lock: updates may come from worker threads. */
  GMutex      mutex;
  GPtrArray  *families;
  GHashTable *families_by_name;
};

G_DEFINE_FINAL_TYPE (DsdMetrics, dsd_metrics, G_TYPE_OBJECT)

static void
series_free (gpointer data)
{
  Series *series = data;

  g_strfreev (series->label_values);
  g_free (series->bucket_counts);
  g_free (series);
}

static void
family_free (gpointer data)
{
  Family *family = data;

  g_free (family->name);
  g_free (family->help);
  g_strfreev (family->label_names);
  g_free (family->bounds);
  g_hash_table_unref (family->series_by_key);
  g_ptr_array_unref (family->series);
  g_free (family);
}

static void
register_family (DsdMetrics    *self,
                 FamilyType     type,
                 const char    *name,
                 const char    *help,
                 const char   **label_names,
                 const double  *bounds,
                 guint          n_bounds)
{
  Family *family;

  g_return_if_fail (DSD_IS_METRICS (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (help != NULL);

  g_mutex_lock (&self->mutex);

  family = g_hash_table_lookup (self->families_by_name, name);
  if (family != NULL)
    {
      /* Registering again (a second server on one registry) is fine as long
       * as it is the same family. */
      if (family->type != type ||
          family->n_labels != (label_names ? g_strv_length ((char **) label_names) : 0))
        g_critical ("Metric %s registered twice with different shapes", name);
      g_mutex_unlock (&self->mutex);
      return;
    }

  family = g_new0 (Family, 1);
  family->name = g_strdup (name);
  family->help = g_strdup (help);
  family->type = type;
  family->label_names = label_names ? g_strdupv ((char **) label_names) : g_new0 (char *, 1);
  family->n_labels = g_strv_length (family->label_names);
  family->bounds = g_memdup2 (bounds, sizeof (double) * n_bounds);
  family->n_bounds = n_bounds;
  family->series = g_ptr_array_new_with_free_func (series_free);
  family->series_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_ptr_array_add (self->families, family);
  g_hash_table_insert (self->families_by_name, family->name, family);

  g_mutex_unlock (&self->mutex);
}

/* Label values joined by a separator that cannot appear in sane values. For
 * the usual few short labels the key is built on the stack. */
#define KEY_SEPARATOR '\x1f'
#define STACK_KEY_SIZE 256

static char *
build_key (const char **label_values,
           guint        n_labels,
           char        *stack_buf,
           char       **heap_buf)
{
  gsize len = 0;
  char *key;
  char *p;

  for (guint i = 0; i < n_labels; i++)
    len += strlen (label_values[i]) + 1;

  if (len + 1 <= STACK_KEY_SIZE)
    key = stack_buf;
  else
    key = *heap_buf = g_malloc (len + 1);

  p = key;
  for (guint i = 0; i < n_labels; i++)
    {
      gsize l = strlen (label_values[i]);

      memcpy (p, label_values[i], l);
      p += l;
      *p++ = KEY_SEPARATOR;
    }
  *p = '\0';

  return key;
}

/* Called with the lock held. Returns NULL (after a critical) on misuse. */
static Series *
lookup_series (DsdMetrics   *self,
               const char   *name,
               FamilyType    type,
               const char  **label_values)
{
  char stack_key[STACK_KEY_SIZE];
  g_autofree char *heap_key = NULL;
  const char *key;
  Family *family;
  Series *series;
  guint n_values;

  family = g_hash_table_lookup (self->families_by_name, name);
  if (family == NULL || family->type != type)
    {
      g_critical ("Metric %s is not registered with this type", name);
      return NULL;
    }

  n_values = label_values ? g_strv_length ((char **) label_values) : 0;
  if (n_values != family->n_labels)
    {
      g_critical ("Metric %s takes %u label values, got %u", name, family->n_labels, n_values);
      return NULL;
    }

  key = build_key (label_values, n_values, stack_key, &heap_key);
  series = g_hash_table_lookup (family->series_by_key, key);
  if (series != NULL)
    return series;

  series = g_new0 (Series, 1);
  series->label_values = label_values ? g_strdupv ((char **) label_values) : NULL;
  if (type == FAMILY_HISTOGRAM)
    series->bucket_counts = g_new0 (guint64, family->n_bounds + 1);

  g_ptr_array_add (family->series, series);
  g_hash_table_insert (family->series_by_key,
                       heap_key ? g_steal_pointer (&heap_key) : g_strdup (key),
                       series);

  return series;
}

/* Integers as integers, other values in the shortest of a few precisions that
 * reads back as the same double ("0.1", not "0.10000000000000001"). */
static void
append_double (GString *out,
               double   value)
{
  static const char * const formats[] = { "%.6g", "%.9g", "%.12g", "%.15g", "%.17g" };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    {
      g_string_append (out, "NaN");
      return;
    }
  if (isinf (value))
    {
      g_string_append (out, value > 0 ? "+Inf" : "-Inf");
      return;
    }
  if (value == floor (value) && fabs (value) < 9007199254740992.0)
    {
      g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) value);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[i], value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }

  g_string_append (out, buf);
}

static void
append_escaped (GString    *out,
                const char *text,
                gboolean    escape_quotes)
{
  for (const char *p = text; *p; p++)
    {
      switch (*p)
        {
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '"':
          g_string_append (out, escape_quotes ? "\\\"" : "\"");
          break;
        default:
          g_string_append_c (out, *p);
        }
    }
}

/* {a="x",b="y"} plus an optional le label; nothing at all when empty. */
static void
append_labels (GString      *out,
               const Family *family,
               const Series *series,
               const char   *le)
{
  if (family->n_labels == 0 && le == NULL)
    return;

  g_string_append_c (out, '{');
  for (guint i = 0; i < family->n_labels; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, family->label_names[i]);
      g_string_append (out, "=\"");
      append_escaped (out, series->label_values[i], TRUE);
      g_string_append_c (out, '"');
    }
  if (le != NULL)
    {
      if (family->n_labels > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "le=\"");
      g_string_append (out, le);
      g_string_append_c (out, '"');
    }
  g_string_append_c (out, '}');
}

static void
append_sample (GString      *out,
               const Family *family,
               const Series *series,
               const char   *suffix,
               const char   *le,
               double        value)
{
  g_string_append (out, family->name);
  g_string_append (out, suffix);
  append_labels (out, family, series, le);
  g_string_append_c (out, ' ');
  append_double (out, value);
  g_string_append_c (out, '\n');
}

static void
append_histogram (GString      *out,
                  const Family *family,
                  const Series *series)
{
  g_autoptr(GString) le = g_string_new (NULL);
  guint64 cumulative = 0;

  for (guint i = 0; i < family->n_bounds; i++)
    {
      cumulative += series->bucket_counts[i];
      g_string_truncate (le, 0);
      append_double (le, family->bounds[i]);
      append_sample (out, family, series, "_bucket", le->str, cumulative);
    }
  append_sample (out, family, series, "_bucket", "+Inf", series->count);
  append_sample (out, family, series, "_sum", NULL, series->sum);
  append_sample (out, family, series, "_count", NULL, series->count);
}

static void
dsd_metrics_finalize (GObject *object)
{
  DsdMetrics *self = (DsdMetrics *)object;

  g_clear_pointer (&self->families_by_name, g_hash_table_unref);
  g_clear_pointer (&self->families, g_ptr_array_unref);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (dsd_metrics_parent_class)->finalize (object);
}

static void
dsd_metrics_class_init (DsdMetricsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dsd_metrics_finalize;
}

static void
dsd_metrics_init (DsdMetrics *self)
{
  g_mutex_init (&self->mutex);
  self->families = g_ptr_array_new_with_free_func (family_free);
  self->families_by_name = g_hash_table_new (g_str_hash, g_str_equal);
}

DsdMetrics *
dsd_metrics_new (void)
{
  return g_object_new (DSD_TYPE_METRICS, NULL);
}

void
dsd_metrics_register_counter (DsdMetrics  *self,
                              const char  *name,
                              const char  *help,
                              const char **label_names)
{
  register_family (self, FAMILY_COUNTER, name, help, label_names, NULL, 0);
}

void
dsd_metrics_register_gauge (DsdMetrics  *self,
                            const char  *name,
                            const char  *help,
                            const char **label_names)
{
  register_family (self, FAMILY_GAUGE, name, help, label_names, NULL, 0);
}

void
dsd_metrics_register_histogram (DsdMetrics   *self,
                                const char   *name,
                                const char   *help,
                                const char  **label_names,
                                const double *bounds,
                                guint         n_bounds)
{
  g_return_if_fail (bounds != NULL || n_bounds == 0);

  for (guint i = 1; i < n_bounds; i++)
    g_return_if_fail (bounds[i - 1] < bounds[i]);

  register_family (self, FAMILY_HISTOGRAM, name, help, label_names, bounds, n_bounds);
}

void
dsd_metrics_counter_add (DsdMetrics  *self,
                         const char  *name,
                         const char **label_values,
                         double       value)
{
  Series *series;

  g_return_if_fail (DSD_IS_METRICS (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (value >= 0);

  g_mutex_lock (&self->mutex);
  series = lookup_series (self, name, FAMILY_COUNTER, label_values);
  if (series != NULL)
    series->value += value;
  g_mutex_unlock (&self->mutex);
}

void
dsd_metrics_gauge_set (DsdMetrics  *self,
                       const char  *name,
                       const char **label_values,
                       double       value)
{
  Series *series;

  g_return_if_fail (DSD_IS_METRICS (self));
  g_return_if_fail (name != NULL);

  g_mutex_lock (&self->mutex);
  series = lookup_series (self, name, FAMILY_GAUGE, label_values);
  if (series != NULL)
    series->value = value;
  g_mutex_unlock (&self->mutex);
}

void
dsd_metrics_histogram_observe (DsdMetrics  *self,
                               const char  *name,
                               const char **label_values,
                               double       value)
{
  Family *family;
  Series *series;
  guint bucket;

  g_return_if_fail (DSD_IS_METRICS (self));
  g_return_if_fail (name != NULL);

  g_mutex_lock (&self->mutex);
  series = lookup_series (self, name, FAMILY_HISTOGRAM, label_values);
  if (series != NULL)
    {
      family = g_hash_table_lookup (self->families_by_name, name);
      for (bucket = 0; bucket < family->n_bounds; bucket++)
        {
          if (value <= family->bounds[bucket])
            break;
        }
      series->bucket_counts[bucket]++;
      series->count++;
      series->sum += value;
    }
  g_mutex_unlock (&self->mutex);
}

void
dsd_metrics_gauge_clear (DsdMetrics *self,
                         const char *name)
{
  Family *family;

  g_return_if_fail (DSD_IS_METRICS (self));
  g_return_if_fail (name != NULL);

  g_mutex_lock (&self->mutex);
  family = g_hash_table_lookup (self->families_by_name, name);
  if (family == NULL || family->type != FAMILY_GAUGE)
    g_critical ("Metric %s is not a registered gauge", name);
  else
    {
      g_hash_table_remove_all (family->series_by_key);
      g_ptr_array_set_size (family->series, 0);
    }
  g_mutex_unlock (&self->mutex);
}

char *
dsd_metrics_render (DsdMetrics *self)
{
  static const char * const type_names[] = {
    [FAMILY_COUNTER] = "counter",
    [FAMILY_GAUGE] = "gauge",
    [FAMILY_HISTOGRAM] = "histogram",
  };
  GString *out;

  g_return_val_if_fail (DSD_IS_METRICS (self), NULL);

  out = g_string_sized_new (4096);

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->families->len; i++)
    {
      const Family *family = g_ptr_array_index (self->families, i);

      g_string_append_printf (out, "# HELP %s ", family->name);
      append_escaped (out, family->help, FALSE);
      g_string_append_printf (out, "\n# TYPE %s %s\n", family->name, type_names[family->type]);

      for (guint j = 0; j < family->series->len; j++)
        {
          const Series *series = g_ptr_array_index (family->series, j);

          if (family->type == FAMILY_HISTOGRAM)
            append_histogram (out, family, series);
          else
            append_sample (out, family, series, "", NULL, series->value);
        }
    }
  g_mutex_unlock (&self->mutex);

  return g_string_free (out, FALSE);
}
