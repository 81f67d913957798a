/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-replay-bar.h"
#include "dc-replay-layer.h"
#include "dc-replay-loader.h"
#include "dc-replay-period.h"

struct _DcReplayBar
{
  GtkBox parent_instance;

  DcContext *context;
  DcMapView *map_view;
  DcReplayLayer *layer;
  DcReplayModel *model;
  GCancellable *cancellable;
  gboolean active;

  GtkDropDown *period;
  GtkEntry *start_entry;
  GtkWidget *load_button;
  GtkProgressBar *progress;
  GtkButton *play_button;
  GtkScale *scale;
  GtkLabel *time_label;
  GtkDropDown *speed;
  GtkLabel *summary_label;

  /* playing: the frame time of the last tick (0: first tick to come) */
  guint tick_id;
  gint64 last_frame_time;
};

G_DEFINE_FINAL_TYPE (DcReplayBar, dc_replay_bar, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_LOADED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The lengths of period offered, in hours, and the speeds. */
static const guint period_hours[] = { 1, 3, 24 };
static const guint speeds[] = { 1, 10, 60 };

static gint64
time_of (DcReplayBar *self,
         double       seconds)
{
  return dc_replay_model_get_from (self->model) + (gint64) (seconds * G_USEC_PER_SEC);
}

/* "N <status>" of the orders at the time shown. */
static void
append_count (GString        *summary,
              DcReplayStatus  status,
              guint           n)
{
  switch (status)
    {
    case DC_REPLAY_PENDING:
      /* Translators: how many orders were waiting at a time of a replay; the
       * five that follow count the other statuses */
      g_string_append_printf (summary, _("%u waiting"), n);
      break;
    case DC_REPLAY_ASSIGNED:
      g_string_append_printf (summary, _("%u assigned"), n);
      break;
    case DC_REPLAY_PICKED_UP:
      g_string_append_printf (summary, _("%u picked up"), n);
      break;
    case DC_REPLAY_DELIVERED:
      g_string_append_printf (summary, _("%u delivered"), n);
      break;
    case DC_REPLAY_FAILED:
      g_string_append_printf (summary, _("%u failed"), n);
      break;
    case DC_REPLAY_CANCELLED:
    case DC_REPLAY_N_STATUSES:
      g_string_append_printf (summary, _("%u cancelled"), n);
      break;
    }
}

static void
show_time (DcReplayBar *self)
{
  gint64 t;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *time_text = NULL;
  g_autoptr(GString) summary = g_string_new (NULL);
  guint counts[DC_REPLAY_N_STATUSES];

  if (self->model == NULL)
    return;
  t = time_of (self, gtk_range_get_value (GTK_RANGE (self->scale)));
  local = g_date_time_new_from_unix_local (t / G_USEC_PER_SEC);
  time_text = g_date_time_format (local, "%H:%M:%S");
  gtk_label_set_text (self->time_label, time_text);

  dc_replay_model_count_at (self->model, t, counts);
  for (guint i = 0; i < DC_REPLAY_N_STATUSES; i++)
    {
      if (summary->len > 0)
        g_string_append (summary, " · ");
      append_count (summary, i, counts[i]);
    }
  gtk_label_set_text (self->summary_label, summary->str);
  dc_replay_layer_set_time (self->layer, t);
}

static void
set_playing (DcReplayBar *self,
             gboolean     playing);

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  DcReplayBar *self = DC_REPLAY_BAR (widget);
  gint64 now = gdk_frame_clock_get_frame_time (clock);
  GtkAdjustment *adjustment = gtk_range_get_adjustment (GTK_RANGE (self->scale));
  double value;

  if (self->last_frame_time != 0)
    {
      value = gtk_adjustment_get_value (adjustment) +
              (double) (now - self->last_frame_time) / G_USEC_PER_SEC *
              speeds[gtk_drop_down_get_selected (self->speed)];
      gtk_adjustment_set_value (adjustment, value);
      if (value >= gtk_adjustment_get_upper (adjustment))
        {
          self->tick_id = 0;
          set_playing (self, FALSE);
          return G_SOURCE_REMOVE;
        }
    }
  self->last_frame_time = now;
  return G_SOURCE_CONTINUE;
}

static void
set_playing (DcReplayBar *self,
             gboolean     playing)
{
  if (playing && self->tick_id == 0)
    {
      self->last_frame_time = 0;
      self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
    }
  else if (!playing && self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  gtk_button_set_icon_name (self->play_button, playing ? "media-playback-pause-symbolic"
                                                       : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->play_button), playing ? _("Pause")
                                                                       : _("Play"));
}

static void
play_clicked_cb (DcReplayBar *self)
{
  GtkAdjustment *adjustment = gtk_range_get_adjustment (GTK_RANGE (self->scale));

  if (self->tick_id == 0 &&
      gtk_adjustment_get_value (adjustment) >= gtk_adjustment_get_upper (adjustment))
    gtk_adjustment_set_value (adjustment, 0);
  set_playing (self, self->tick_id == 0);
}

static void
set_model (DcReplayBar   *self,
           DcReplayModel *model)
{
  GtkAdjustment *adjustment = gtk_range_get_adjustment (GTK_RANGE (self->scale));

  set_playing (self, FALSE);
  dc_replay_layer_set_model (self->layer, model);
  g_clear_pointer (&self->model, dc_replay_model_free);
  self->model = model;
  gtk_widget_set_sensitive (GTK_WIDGET (self->scale), model != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->play_button), model != NULL);
  if (model != NULL)
    {
      gtk_adjustment_configure (adjustment, 0, 0,
                                (double) (dc_replay_model_get_to (model) -
                                          dc_replay_model_get_from (model)) / G_USEC_PER_SEC,
                                1, 60, 0);
      show_time (self);
    }
  else
    {
      gtk_label_set_text (self->time_label, "");
      gtk_label_set_text (self->summary_label, "");
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

static void
progress_cb (double   fraction,
             gpointer user_data)
{
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (user_data), fraction);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  DcReplayModel *model = dc_replay_load_finish (result, &error);
  DcReplayBar *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = DC_REPLAY_BAR (user_data);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
  gtk_widget_set_sensitive (self->load_button, TRUE);
  if (model == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The history could not be loaded: %s"),
                                               error->message);

      gtk_label_set_text (self->summary_label, text);
      return;
    }
  set_model (self, model);
}

static void
load (DcReplayBar *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  gint64 from, to;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  set_model (self, NULL);
  if (!dc_replay_period_parse (gtk_editable_get_text (GTK_EDITABLE (self->start_entry)),
                               period_hours[gtk_drop_down_get_selected (self->period)], now,
                               &from, &to))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->start_entry), "error");
      gtk_label_set_text (self->summary_label,
                          _("Type the start as HH:MM or YYYY-MM-DD HH:MM, in the past"));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->start_entry), "error");
  self->cancellable = g_cancellable_new ();
  gtk_label_set_text (self->summary_label, _("Loading the history…"));
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), TRUE);
  gtk_widget_set_sensitive (self->load_button, FALSE);
  /* the bar outlives every load: loaded_cb sees a cancelled one only */
  dc_replay_load_async (dc_context_get_client (self->context), from, to, progress_cb,
                        self->progress, self->cancellable, loaded_cb, self);
}

static GtkDropDown *
new_drop_down (const char * const *labels,
               const char         *tooltip)
{
  GtkDropDown *drop_down = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (labels));

  gtk_widget_set_tooltip_text (GTK_WIDGET (drop_down), tooltip);
  gtk_widget_set_valign (GTK_WIDGET (drop_down), GTK_ALIGN_CENTER);
  return drop_down;
}

static void
build (DcReplayBar *self)
{
  const char * const period_labels[] = { _("1 hour"), _("3 hours"), _("24 hours"), NULL };
  const char * const speed_labels[] = { _("1×"), _("10×"), _("60×"), NULL };
  GtkBox *box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6));
  GtkWidget *back;

  self->period = new_drop_down (period_labels, _("Length of the period to replay"));
  self->start_entry = GTK_ENTRY (gtk_entry_new ());
  gtk_entry_set_placeholder_text (self->start_entry, _("ending now"));
  gtk_editable_set_width_chars (GTK_EDITABLE (self->start_entry), 16);
  gtk_widget_set_valign (GTK_WIDGET (self->start_entry), GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->start_entry),
                               _("Start of the period: HH:MM or YYYY-MM-DD HH:MM; "
                                 "empty for the period ending now"));
  self->load_button = gtk_button_new_from_icon_name ("view-refresh-symbolic");
  gtk_widget_set_tooltip_text (self->load_button, _("Load the period"));
  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->progress), GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (GTK_WIDGET (self->progress), 120, -1);
  self->play_button = GTK_BUTTON (gtk_button_new ());
  self->scale = GTK_SCALE (gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, NULL));
  gtk_widget_set_hexpand (GTK_WIDGET (self->scale), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->scale), 160, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->scale), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Time of the replay"), -1);
  self->time_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->time_label), "numeric");
  self->speed = new_drop_down (speed_labels, _("Playing speed"));
  self->summary_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_ellipsize (self->summary_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (self->summary_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->summary_label), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->summary_label), "caption");
  back = gtk_button_new_with_mnemonic (_("_Back to Live"));
  gtk_widget_set_valign (back, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (back, "suggested-action");

  gtk_box_append (box, GTK_WIDGET (self->period));
  gtk_box_append (box, GTK_WIDGET (self->start_entry));
  gtk_box_append (box, self->load_button);
  gtk_box_append (box, GTK_WIDGET (self->progress));
  gtk_box_append (box, GTK_WIDGET (self->play_button));
  gtk_box_append (box, GTK_WIDGET (self->scale));
  gtk_box_append (box, GTK_WIDGET (self->time_label));
  gtk_box_append (box, GTK_WIDGET (self->speed));
  gtk_box_append (box, back);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (box));
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->summary_label));

  g_signal_connect_swapped (self->load_button, "clicked", G_CALLBACK (load), self);
  g_signal_connect_swapped (self->period, "notify::selected", G_CALLBACK (load), self);
  g_signal_connect_swapped (self->start_entry, "activate", G_CALLBACK (load), self);
  g_signal_connect_swapped (self->play_button, "clicked", G_CALLBACK (play_clicked_cb), self);
  g_signal_connect_swapped (self->scale, "value-changed", G_CALLBACK (show_time), self);
  g_signal_connect_swapped (back, "clicked", G_CALLBACK (dc_replay_bar_stop), self);
  set_playing (self, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->scale), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->play_button), FALSE);
}

static void
dc_replay_bar_dispose (GObject *object)
{
  DcReplayBar *self = DC_REPLAY_BAR (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->layer != NULL)
    dc_replay_layer_set_model (self->layer, NULL);
  g_clear_object (&self->layer);
  g_clear_pointer (&self->model, dc_replay_model_free);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dc_replay_bar_parent_class)->dispose (object);
}

static void
dc_replay_bar_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DcReplayBar *self = DC_REPLAY_BAR (object);

  switch (prop_id)
    {
    case PROP_LOADED:
      g_value_set_boolean (value, self->model != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_replay_bar_class_init (DcReplayBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dc_replay_bar_dispose;
  object_class->get_property = dc_replay_bar_get_property;

  /* whether a history is loaded (for whoever waits for it) */
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "replaybar");
}

static void
dc_replay_bar_init (DcReplayBar *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 2);
  gtk_widget_add_css_class (GTK_WIDGET (self), "toolbar");
  build (self);
}

DcReplayBar *
dc_replay_bar_new (DcContext *context,
                   DcMapView *map_view)
{
  DcReplayBar *self;

  g_return_val_if_fail (DC_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (DC_IS_MAP_VIEW (map_view), NULL);

  self = g_object_new (DC_TYPE_REPLAY_BAR, "visible", FALSE, NULL);
  self->context = g_object_ref (context);
  /* the map holds the bar (through the window) and the bar's layer */
  self->map_view = map_view;
  self->layer = g_object_ref_sink (dc_replay_layer_new (dc_map_view_get_viewport (map_view)));

  return self;
}

void
dc_replay_bar_start (DcReplayBar *self)
{
  g_return_if_fail (DC_IS_REPLAY_BAR (self));

  if (self->active)
    return;
  self->active = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
  dc_map_view_set_replay_layer (self->map_view, SHUMATE_LAYER (self->layer));
  load (self);
}

void
dc_replay_bar_stop (DcReplayBar *self)
{
  g_return_if_fail (DC_IS_REPLAY_BAR (self));

  if (!self->active)
    return;
  self->active = FALSE;
  g_cancellable_cancel (self->cancellable);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
  gtk_widget_set_sensitive (self->load_button, TRUE);
  set_model (self, NULL);
  dc_map_view_set_replay_layer (self->map_view, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

gboolean
dc_replay_bar_get_active (DcReplayBar *self)
{
  g_return_val_if_fail (DC_IS_REPLAY_BAR (self), FALSE);

  return self->active;
}

DcReplayModel *
dc_replay_bar_get_model (DcReplayBar *self)
{
  g_return_val_if_fail (DC_IS_REPLAY_BAR (self), NULL);

  return self->model;
}

gint64
dc_replay_bar_get_time (DcReplayBar *self)
{
  g_return_val_if_fail (DC_IS_REPLAY_BAR (self), 0);
  g_return_val_if_fail (self->model != NULL, 0);

  return time_of (self, gtk_range_get_value (GTK_RANGE (self->scale)));
}

void
dc_replay_bar_set_time (DcReplayBar *self,
                        gint64       t)
{
  g_return_if_fail (DC_IS_REPLAY_BAR (self));
  g_return_if_fail (self->model != NULL);

  gtk_range_set_value (GTK_RANGE (self->scale),
                       (double) (t - dc_replay_model_get_from (self->model)) / G_USEC_PER_SEC);
}

void
dc_replay_bar_play (DcReplayBar *self,
                    gboolean     playing)
{
  g_return_if_fail (DC_IS_REPLAY_BAR (self));
  g_return_if_fail (self->model != NULL || !playing);

  set_playing (self, playing);
}

const char *
dc_replay_bar_get_summary (DcReplayBar *self)
{
  g_return_val_if_fail (DC_IS_REPLAY_BAR (self), NULL);

  return gtk_label_get_text (self->summary_label);
}
