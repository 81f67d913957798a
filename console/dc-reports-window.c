/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "dc-download.h"
#include "dc-driver.h"
#include "dc-format.h"
#include "dc-json.h"
#include "dc-reports-window.h"

typedef enum
{
  PERIOD_TODAY,
  PERIOD_WEEK,
  PERIOD_MONTH,
  PERIOD_CUSTOM,
} Period;

typedef enum
{
  GROUP_TIME,
  GROUP_DRIVER,
  GROUP_ZONE,
  GROUP_TEAM,
} Group;

typedef enum
{
  CELL_COUNT,
  CELL_PERCENT,
  CELL_MINUTES,
  CELL_HOURS,
} CellUnit;

/* The table's columns after the first (what the row is). */
static const struct
{
  const char *key;
  const char *title;
  CellUnit unit;
} columns[] = {
  { "created", N_("Created"), CELL_COUNT },
  { "delivered", N_("Delivered"), CELL_COUNT },
  { "failed", N_("Failed"), CELL_COUNT },
  { "cancelled", N_("Cancelled"), CELL_COUNT },
  { "on_time_rate", N_("On time"), CELL_PERCENT },
  { "assign_p50_s", N_("Assign p50"), CELL_MINUTES },
  { "assign_p90_s", N_("Assign p90"), CELL_MINUTES },
  { "pickup_wait_p50_s", N_("Pickup wait p50"), CELL_MINUTES },
  { "pickup_wait_p90_s", N_("Pickup wait p90"), CELL_MINUTES },
  { "delivery_p50_s", N_("Delivery p50"), CELL_MINUTES },
  { "delivery_p90_s", N_("Delivery p90"), CELL_MINUTES },
  { "online_hours", N_("Online"), CELL_HOURS },
  { "busy_hours", N_("Busy"), CELL_HOURS },
  { "utilisation", N_("Utilisation"), CELL_PERCENT },
};

struct _DcReportsWindow
{
  AdwWindow parent_instance;

  DcContext *context;
  DcChart *charts[DC_REPORTS_N_CHARTS];

  /* template */
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkDropDown *period_choice;
  GtkWidget *custom_box;
  GtkEntry *from_entry;
  GtkEntry *to_entry;
  GtkDropDown *group_choice;
  GtkDropDown *bucket_choice;
  GtkSpinner *spinner;
  GtkLabel *status_label;
  GtkGrid *charts_grid;
  GtkGrid *table;

  /* the query of what is shown, or being loaded */
  char *from;
  char *to;
  char *group;
  char *last_day;
  gboolean one_day;
  JsonArray *rows;
  GCancellable *load_cancellable;
  guint exports;
};

G_DEFINE_FINAL_TYPE (DcReportsWindow, dc_reports_window, ADW_TYPE_WINDOW)

/* Periods ---------------------------------------------------------------- */

static GDateTime *
parse_day (const char *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  g_autofree char *iso = g_strdup_printf ("%sT00:00:00Z", stripped);

  return g_date_time_new_from_iso8601 (iso, NULL);
}

static char *
format_instant (GDateTime *time)
{
  return g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
}

/* The period the controls say, as UTC days; FALSE with the status label
 * telling why when the custom days are not a period. */
static gboolean
read_period (DcReportsWindow *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) today = g_date_time_new_utc (g_date_time_get_year (now),
                                                    g_date_time_get_month (now),
                                                    g_date_time_get_day_of_month (now), 0, 0, 0);
  g_autoptr(GDateTime) from = NULL;
  g_autoptr(GDateTime) last = NULL;
  g_autoptr(GDateTime) to = NULL;

  switch ((Period) gtk_drop_down_get_selected (self->period_choice))
    {
    case PERIOD_TODAY:
      from = g_date_time_ref (today);
      last = g_date_time_ref (today);
      break;
    case PERIOD_WEEK:
      from = g_date_time_add_days (today, -6);
      last = g_date_time_ref (today);
      break;
    case PERIOD_MONTH:
      from = g_date_time_add_days (today, -29);
      last = g_date_time_ref (today);
      break;
    case PERIOD_CUSTOM:
    default:
      from = parse_day (gtk_editable_get_text (GTK_EDITABLE (self->from_entry)));
      last = parse_day (gtk_editable_get_text (GTK_EDITABLE (self->to_entry)));
      if (from == NULL || last == NULL || g_date_time_compare (last, from) < 0)
        {
          gtk_label_set_text (self->status_label,
                              _("Enter the first and the last day as YYYY-MM-DD"));
          return FALSE;
        }
      break;
    }

  to = g_date_time_add_days (last, 1);
  self->one_day = g_date_time_equal (from, last);
  g_free (self->last_day);
  self->last_day = g_date_time_format (last, "%Y-%m-%d");
  g_free (self->from);
  g_free (self->to);
  self->from = format_instant (from);
  self->to = format_instant (to);
  return TRUE;
}

static const char *
read_group (DcReportsWindow *self)
{
  switch ((Group) gtk_drop_down_get_selected (self->group_choice))
    {
    case GROUP_DRIVER:
      return "driver";
    case GROUP_ZONE:
      return "zone";
    case GROUP_TEAM:
      return "team";
    case GROUP_TIME:
    default:
      return gtk_drop_down_get_selected (self->bucket_choice) == 0 ? "hour" : "day";
    }
}

/* Rows ------------------------------------------------------------------- */

static double
row_value (JsonObject *row,
           const char *key)
{
  JsonNode *node = json_object_get_member (row, key);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NAN;
  return json_node_get_double (node);
}

/* What a row is: its hour or day, or its driver, zone or team by name. */
static char *
row_label (DcReportsWindow *self,
           JsonObject      *row)
{
  const char *bucket = dc_json_string (row, "bucket");
  const char *id;

  if (bucket != NULL)
    {
      g_autoptr(GDateTime) time = g_date_time_new_from_iso8601 (bucket, NULL);

      if (time == NULL)
        return g_strdup (bucket);
      if (g_str_equal (self->group, "day"))
        return g_date_time_format (time, "%d %b");
      return g_date_time_format (time, self->one_day ? "%H:00" : "%d %b %H:00");
    }

  if ((id = dc_json_string (row, "driver_id")) != NULL)
    {
      DcEntity *driver = dc_store_lookup (dc_context_get_drivers (self->context), id);

      if (driver != NULL)
        return g_strdup (dc_driver_get_name (DC_DRIVER (driver)));
      if (dc_json_string (row, "driver_name") != NULL)
        return g_strdup (dc_json_string (row, "driver_name"));
      return g_strndup (id, 8);
    }
  if (g_str_equal (self->group, "driver"))
    return g_strdup (_("Not assigned"));

  for (const char * const *key = (const char * const[]) { "zone_name", "team_name", "zone_id",
                                                          "team_id", NULL };
       *key != NULL; key++)
    if (dc_json_string (row, *key) != NULL)
      return g_strdup (dc_json_string (row, *key));

  return g_strdup (g_str_equal (self->group, "zone") ? _("No zone") : _("No team"));
}

static char *
format_cell (double   value,
             CellUnit unit)
{
  if (isnan (value))
    return g_strdup ("–");
  switch (unit)
    {
    case CELL_PERCENT:
      return g_strdup_printf (_("%.0f %%"), value * 100);
    case CELL_MINUTES:
      return g_strdup_printf (_("%.1f min"), value / 60);
    case CELL_HOURS:
      return g_strdup_printf (_("%.1f h"), value);
    case CELL_COUNT:
    default:
      return g_strdup_printf ("%.0f", value);
    }
}

static void
attach_cell (DcReportsWindow *self,
             const char      *text,
             guint            row,
             guint            column)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), column == 0 ? 0 : 1);
  if (row == 0)
    gtk_widget_add_css_class (label, "heading");
  else if (column > 0)
    gtk_widget_add_css_class (label, "numeric");
  gtk_grid_attach (self->table, label, column, row, 1, 1);
}

static void
fill_table (DcReportsWindow *self,
            GStrv            labels)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->table))) != NULL)
    gtk_grid_remove (self->table, child);

  attach_cell (self, g_str_equal (self->group, "hour") || g_str_equal (self->group, "day")
                     ? _("Time (UTC)") : g_str_equal (self->group, "driver") ? _("Driver")
                     : g_str_equal (self->group, "zone") ? _("Zone") : _("Team"), 0, 0);
  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    attach_cell (self, _(columns[c].title), 0, c + 1);

  for (guint r = 0; r < json_array_get_length (self->rows); r++)
    {
      JsonObject *row = json_array_get_object_element (self->rows, r);

      attach_cell (self, labels[r], r + 1, 0);
      for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
        {
          g_autofree char *text = format_cell (row_value (row, columns[c].key), columns[c].unit);

          attach_cell (self, text, r + 1, c + 1);
        }
    }
}

/* One value per row of @key, or of @key minus the @minus ones. */
static double *
values_of (DcReportsWindow    *self,
           const char         *key,
           const char * const *minus)
{
  guint n = json_array_get_length (self->rows);
  double *values = g_new0 (double, MAX (n, 1));

  for (guint r = 0; r < n; r++)
    {
      JsonObject *row = json_array_get_object_element (self->rows, r);

      values[r] = row_value (row, key);
      for (guint i = 0; minus != NULL && minus[i] != NULL; i++)
        values[r] -= row_value (row, minus[i]);
    }
  return values;
}

static void
add_series (DcReportsWindow *self,
            DcReportsChart   chart,
            const char      *name,
            const char      *color,
            DcChartKind      kind,
            const char      *key)
{
  g_autofree double *values = values_of (self, key, NULL);

  dc_chart_add_series (self->charts[chart], name, color, kind, values);
}

static void
fill_charts (DcReportsWindow *self,
             GStrv            labels)
{
  static const char * const ended[] = { "delivered", "failed", "cancelled", NULL };
  g_autofree double *open = values_of (self, "created", ended);

  for (guint c = 0; c < DC_REPORTS_N_CHARTS; c++)
    dc_chart_set_labels (self->charts[c], (const char * const *) labels);

  /* the stack's height is what was created */
  add_series (self, DC_REPORTS_ORDERS_CHART, _("Delivered"), "#2ec27e", DC_CHART_BARS,
              "delivered");
  add_series (self, DC_REPORTS_ORDERS_CHART, _("Failed"), "#e01b24", DC_CHART_BARS, "failed");
  add_series (self, DC_REPORTS_ORDERS_CHART, _("Cancelled"), "#9a9996", DC_CHART_BARS,
              "cancelled");
  dc_chart_add_series (self->charts[DC_REPORTS_ORDERS_CHART], _("Open"), "#3584e4",
                       DC_CHART_BARS, open);

  add_series (self, DC_REPORTS_ON_TIME_CHART, _("On time"), "#2ec27e", DC_CHART_LINE,
              "on_time_rate");

  add_series (self, DC_REPORTS_DURATIONS_CHART, _("Assign p50"), "#3584e4", DC_CHART_LINE,
              "assign_p50_s");
  add_series (self, DC_REPORTS_DURATIONS_CHART, _("Assign p90"), "#99c1f1", DC_CHART_LINE,
              "assign_p90_s");
  add_series (self, DC_REPORTS_DURATIONS_CHART, _("Pickup wait p50"), "#ff7800",
              DC_CHART_LINE, "pickup_wait_p50_s");
  add_series (self, DC_REPORTS_DURATIONS_CHART, _("Pickup wait p90"), "#ffbe6f",
              DC_CHART_LINE, "pickup_wait_p90_s");
  add_series (self, DC_REPORTS_DURATIONS_CHART, _("Delivery p50"), "#26a269", DC_CHART_LINE,
              "delivery_p50_s");
  add_series (self, DC_REPORTS_DURATIONS_CHART, _("Delivery p90"), "#8ff0a4", DC_CHART_LINE,
              "delivery_p90_s");

  add_series (self, DC_REPORTS_UTILISATION_CHART, _("Utilisation"), "#9141ac", DC_CHART_LINE,
              "utilisation");
}

static void
show_rows (DcReportsWindow *self)
{
  guint n = json_array_get_length (self->rows);
  g_auto(GStrv) labels = g_new0 (char *, n + 1);

  for (guint r = 0; r < n; r++)
    labels[r] = row_label (self, json_array_get_object_element (self->rows, r));
  fill_charts (self, labels);
  fill_table (self, labels);
}

/* Loading ---------------------------------------------------------------- */

static void
update_busy (DcReportsWindow *self)
{
  gboolean busy = dc_reports_window_is_busy (self);

  gtk_spinner_set_spinning (self->spinner, busy);
}

static void
figures_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DcReportsWindow) self = user_data;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *subtitle = NULL;
  JsonArray *rows;

  answer = dc_client_request_finish (DC_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->load_cancellable);
  update_busy (self);

  if (answer == NULL || (rows = dc_json_array (answer, "rows")) == NULL)
    {
      gtk_label_set_text (self->status_label,
                          error != NULL ? dc_format_error (error)
                                        : _("The server could not handle the request"));
      return;
    }

  g_clear_pointer (&self->rows, json_array_unref);
  self->rows = json_array_ref (rows);
  show_rows (self);
  subtitle = self->one_day ? g_strndup (self->from, 10)
                           : g_strdup_printf ("%.10s – %s", self->from, self->last_day);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  gtk_label_set_text (self->status_label, "");
}

void
dc_reports_window_reload (DcReportsWindow *self)
{
  g_autofree char *path = NULL;

  g_return_if_fail (DC_IS_REPORTS_WINDOW (self));

  if (!read_period (self))
    return;
  g_free (self->group);
  self->group = g_strdup (read_group (self));

  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
  update_busy (self);
  gtk_label_set_text (self->status_label, _("Loading…"));

  path = g_strdup_printf ("/api/v1/reports/figures?from=%s&to=%s&group_by=%s", self->from,
                          self->to, self->group);
  dc_client_request_async (dc_context_get_client (self->context), "GET", path, NULL,
                           self->load_cancellable, figures_cb, g_object_ref (self));
}

static void
choice_changed_cb (DcReportsWindow *self)
{
  gboolean custom = gtk_drop_down_get_selected (self->period_choice) == PERIOD_CUSTOM;

  gtk_widget_set_visible (self->custom_box, custom);
  gtk_widget_set_sensitive (GTK_WIDGET (self->bucket_choice),
                            gtk_drop_down_get_selected (self->group_choice) == GROUP_TIME);
  if (custom && gtk_entry_get_text_length (self->from_entry) == 0)
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->from_entry));
      return;
    }
  dc_reports_window_reload (self);
}

static void
reload_cb (DcReportsWindow *self)
{
  dc_reports_window_reload (self);
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  dc_reports_window_reload (DC_REPORTS_WINDOW (widget));
}

/* Export ----------------------------------------------------------------- */

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(DcReportsWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  self->exports--;
  update_busy (self);
  if (dc_download_finish (DC_CLIENT (object), result, &error))
    text = g_strdup (_("Saved"));
  else
    text = g_strdup_printf (_("Export failed: %s"), dc_format_error (error));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

void
dc_reports_window_export (DcReportsWindow *self,
                          DcReportsExport  kind,
                          GFile           *file)
{
  g_autofree char *path = NULL;

  g_return_if_fail (DC_IS_REPORTS_WINDOW (self));
  g_return_if_fail (self->from != NULL);

  if (kind == DC_REPORTS_EXPORT_ORDERS)
    path = g_strdup_printf ("/api/v1/reports/orders?from=%s&to=%s", self->from, self->to);
  else
    path = g_strdup_printf ("/api/v1/reports/figures?from=%s&to=%s&group_by=%s&format=csv",
                            self->from, self->to, self->group);
  self->exports++;
  update_busy (self);
  dc_download_async (dc_context_get_client (self->context), path, file, NULL, exported_cb,
                     g_object_ref (self));
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     DcReportsWindow *self)
{
  DcReportsExport kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "kind"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      dc_reports_window_export (self, kind, file);
    }
  g_object_unref (chooser);
}

/* GTK 4.8 has no GtkFileDialog (4.10): the native chooser, kept until it
 * answers. */
static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DcReportsWindow *self = DC_REPORTS_WINDOW (widget);
  DcReportsExport kind = g_str_equal (action_name, "reports.export-orders")
                         ? DC_REPORTS_EXPORT_ORDERS : DC_REPORTS_EXPORT_FIGURES;
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL;

  if (self->from == NULL)
    return;
  chooser = gtk_file_chooser_native_new (kind == DC_REPORTS_EXPORT_ORDERS
                                         ? _("Export Orders") : _("Export Figures"),
                                         GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"), _("_Cancel"));
  name = g_strdup_printf ("%s-%.10s-%s.csv",
                          kind == DC_REPORTS_EXPORT_ORDERS ? "orders" : "figures",
                          self->from, self->last_day);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data (G_OBJECT (chooser), "kind", GINT_TO_POINTER (kind));
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* GObject ---------------------------------------------------------------- */

static void
dc_reports_window_dispose (GObject *object)
{
  DcReportsWindow *self = DC_REPORTS_WINDOW (object);

  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->context);
  g_clear_pointer (&self->rows, json_array_unref);

  G_OBJECT_CLASS (dc_reports_window_parent_class)->dispose (object);
}

static void
dc_reports_window_finalize (GObject *object)
{
  DcReportsWindow *self = DC_REPORTS_WINDOW (object);

  g_free (self->from);
  g_free (self->to);
  g_free (self->group);
  g_free (self->last_day);

  G_OBJECT_CLASS (dc_reports_window_parent_class)->finalize (object);
}

static void
dc_reports_window_class_init (DcReportsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dc_reports_window_dispose;
  object_class->finalize = dc_reports_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dispatchd/Console/"
                                               "dc-reports-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, period_choice);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, custom_box);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, from_entry);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, to_entry);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, group_choice);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, bucket_choice);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, charts_grid);
  gtk_widget_class_bind_template_child (widget_class, DcReportsWindow, table);
  gtk_widget_class_bind_template_callback (widget_class, choice_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, reload_cb);

  gtk_widget_class_install_action (widget_class, "reports.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "reports.export-orders", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "reports.export-figures", NULL,
                                   export_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
dc_reports_window_init (DcReportsWindow *self)
{
  static const struct
  {
    const char *title;
    DcChartUnit unit;
  } charts[DC_REPORTS_N_CHARTS] = {
    { N_("Orders"), DC_CHART_COUNT },
    { N_("On-time rate"), DC_CHART_PERCENT },
    { N_("Time to assign, pickup wait, delivery"), DC_CHART_MINUTES },
    { N_("Driver utilisation"), DC_CHART_PERCENT },
  };

  gtk_widget_init_template (GTK_WIDGET (self));
  for (guint c = 0; c < DC_REPORTS_N_CHARTS; c++)
    {
      self->charts[c] = dc_chart_new (_(charts[c].title), charts[c].unit);
      gtk_widget_set_hexpand (GTK_WIDGET (self->charts[c]), TRUE);
      gtk_widget_set_size_request (GTK_WIDGET (self->charts[c]), -1, 240);
      gtk_grid_attach (self->charts_grid, GTK_WIDGET (self->charts[c]), c % 2, c / 2, 1, 1);
    }
}

/* Another user may sign in at the desk next: their figures are not his. */
static void
authenticated_cb (DcReportsWindow *self)
{
  if (!dc_client_get_authenticated (dc_context_get_client (self->context)))
    gtk_window_close (GTK_WINDOW (self));
}

DcReportsWindow *
dc_reports_window_new (DcContext *context)
{
  DcReportsWindow *self = g_object_new (DC_TYPE_REPORTS_WINDOW, NULL);

  self->context = g_object_ref (context);
  g_signal_connect_object (dc_context_get_client (context), "notify::authenticated",
                           G_CALLBACK (authenticated_cb), self, G_CONNECT_SWAPPED);
  dc_reports_window_reload (self);

  return self;
}

void
dc_reports_window_set_days (DcReportsWindow *self,
                            const char      *from,
                            const char      *to)
{
  g_return_if_fail (DC_IS_REPORTS_WINDOW (self));

  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), from);
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), to);
  if (gtk_drop_down_get_selected (self->period_choice) == PERIOD_CUSTOM)
    dc_reports_window_reload (self);
  else
    gtk_drop_down_set_selected (self->period_choice, PERIOD_CUSTOM);
}

gboolean
dc_reports_window_is_busy (DcReportsWindow *self)
{
  g_return_val_if_fail (DC_IS_REPORTS_WINDOW (self), FALSE);

  return self->load_cancellable != NULL || self->exports > 0;
}

JsonArray *
dc_reports_window_get_rows (DcReportsWindow *self)
{
  g_return_val_if_fail (DC_IS_REPORTS_WINDOW (self), NULL);

  return self->rows;
}

DcChart *
dc_reports_window_get_chart (DcReportsWindow *self,
                             DcReportsChart   chart)
{
  g_return_val_if_fail (DC_IS_REPORTS_WINDOW (self), NULL);
  g_return_val_if_fail (chart < DC_REPORTS_N_CHARTS, NULL);

  return self->charts[chart];
}

const char *
dc_reports_window_get_cell (DcReportsWindow *self,
                            guint            row,
                            guint            column)
{
  GtkWidget *label;

  g_return_val_if_fail (DC_IS_REPORTS_WINDOW (self), NULL);

  label = gtk_grid_get_child_at (self->table, column, row);
  return label != NULL ? gtk_label_get_text (GTK_LABEL (label)) : NULL;
}
