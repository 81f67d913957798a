/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include <math.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dispatch-json.h"
#include "dsim-context.h"
#include "dsim-demand.h"
#include "dsim-dispatcher.h"
#include "dsim-driver.h"
#include "dsim-join.h"
#include "dsim-setup.h"
#include "dsim-sim.h"

/* Real time between steps of a real-time run. */
#define TICK_US (250 * 1000)
/* A stalled server must not make drivers jump across the city. */
#define MAX_STEP_S 5.0
/* Summary lines on a terminal are redrawn every second, elsewhere printed this often. */
#define LOG_LINE_EVERY_S 10

struct _DsimSim {
  GObject         parent_instance;

  DsimContext    *context;
  DsimDemand     *demand;
  DsimDispatcher *dispatcher;
  GPtrArray      *drivers;      /* of DsimDriver */
  GPtrArray      *customers;    /* of DsimAccount */

  GTask          *task;         /* the run */
  gint64          started_us;   /* real, monotonic: the run, and its first step */
  gint64          stepping_us;
  gint64          tick_started_us;
  guint           tick_source;
  guint           summary_source;
  guint           summary_count;
  gboolean        stopping;
  gboolean        on_terminal;
};

G_DEFINE_FINAL_TYPE (DsimSim, dsim_sim, G_TYPE_OBJECT)

static void tick (DsimSim *self);

static const DsimOptions *
options_of (DsimSim *self)
{
  return dsim_context_get_options (self->context);
}

static char *
summary_line (DsimSim *self)
{
  guint n_online = 0, n_busy = 0;

  for (guint i = 0; i < self->drivers->len; i++)
    {
      DsimDriver *driver = g_ptr_array_index (self->drivers, i);

      n_online += dsim_driver_is_online (driver);
      n_busy += dsim_driver_is_busy (driver);
    }

  return dsim_stats_format_line (dsim_context_get_stats (self->context),
                                 dsim_context_get_now (self->context), n_online, n_busy,
                                 self->drivers->len);
}

static gboolean
summary_cb (gpointer user_data)
{
  DsimSim *self = user_data;
  g_autofree char *line = summary_line (self);
  struct winsize size;

  /* Redrawn in place: a line wider than the terminal would wrap and pile up. */
  if (self->on_terminal && ioctl (STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 &&
      strlen (line) >= size.ws_col)
    line[size.ws_col - 1] = '\0';

  if (self->on_terminal)
    g_print ("\r%s\033[K", line);
  else if (++self->summary_count % LOG_LINE_EVERY_S == 0)
    g_print ("%s\n", line);

  return G_SOURCE_CONTINUE;
}

static void
add_optional_double (JsonBuilder *builder,
                     const char  *member,
                     double       value)
{
  json_builder_set_member_name (builder, member);
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static gboolean
write_report (DsimSim  *self,
              double    real_s,
              GError  **error)
{
  const DsimOptions *options = options_of (self);
  DsimStats *stats = dsim_context_get_stats (self->context);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "seed");
  json_builder_add_int_value (builder, options->seed);
  json_builder_set_member_name (builder, "deterministic");
  json_builder_add_boolean_value (builder, options->deterministic);
  json_builder_set_member_name (builder, "drivers");
  json_builder_add_int_value (builder, self->drivers->len);
  json_builder_set_member_name (builder, "simulated_s");
  json_builder_add_double_value (builder, dsim_context_get_now (self->context));
  json_builder_set_member_name (builder, "real_s");
  json_builder_add_double_value (builder, real_s);
  json_builder_set_member_name (builder, "counts");
  dsim_stats_add_counts (stats, builder);
  add_optional_double (builder, "mean_assignment_wait_s",
                       dsim_stats_mean_wait (stats, DSIM_WAIT_ASSIGNMENT));
  add_optional_double (builder, "mean_pickup_wait_s",
                       dsim_stats_mean_wait (stats, DSIM_WAIT_PICKUP));
  json_builder_set_member_name (builder, "requests");
  json_builder_add_int_value (builder, dsim_api_get_n_requests (dsim_context_get_api (
                                self->context)));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = dispatch_json_to_string (root, NULL);

  return g_file_set_contents (options->report_path, text, -1, error);
}

static void
report (DsimSim *self)
{
  const DsimOptions *options = options_of (self);
  double real_s = (g_get_monotonic_time () - self->stepping_us) / (double) G_USEC_PER_SEC;
  g_autofree char *line = summary_line (self);
  g_autofree char *text = dsim_stats_format_report (dsim_context_get_stats (self->context));
  g_autoptr(GError) error = NULL;

  if (self->on_terminal && !options->quiet)
    g_print ("\r\033[K");
  g_print ("dispatch-sim: %.0f simulated seconds in %.1f s, seed %u%s\n%s\n%s",
           dsim_context_get_now (self->context), real_s, options->seed,
           options->deterministic ? ", deterministic" : "", line, text);

  if (options->report_path != NULL && !write_report (self, real_s, &error))
    g_printerr ("dispatch-sim: cannot write the report: %s\n", error->message);
}

/* Ending --------------------------------------------------------------------- */

static void
stopped_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  DsimSim *self = g_task_get_source_object (G_TASK (result));

  g_clear_handle_id (&self->summary_source, g_source_remove);
  report (self);
  g_task_return_boolean (self->task, TRUE);
  g_clear_object (&self->task);
}

static void
driver_stopped_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  dsim_join_done (user_data);
}

/* Drivers go off shift, so that a console does not show them as available. */
static void
finish (DsimSim *self)
{
  GTask *join = dsim_join_new (self, NULL, stopped_cb, NULL, finish);

  for (guint i = 0; i < self->drivers->len; i++)
    dsim_driver_stop_async (g_ptr_array_index (self->drivers, i), driver_stopped_cb,
                            dsim_join_add (join));
  dsim_join_close (join);
}

/* Stepping ------------------------------------------------------------------- */

static gboolean
tick_cb (gpointer user_data)
{
  DsimSim *self = user_data;

  self->tick_source = 0;
  tick (self);
  return G_SOURCE_REMOVE;
}

static void
step_done (DsimSim *self)
{
  const DsimOptions *options = options_of (self);
  gint64 period_us, wait_us;

  if (self->stopping ||
      (options->duration_s > 0 && dsim_context_get_now (self->context) >= options->duration_s))
    {
      finish (self);
      return;
    }

  if (options->deterministic && options->speedup == 0)
    {
      self->tick_source = g_idle_add (tick_cb, self);
      return;
    }

  period_us = options->deterministic ? (gint64) (options->step_s / options->speedup * 1e6)
                                     : TICK_US;
  wait_us = self->tick_started_us + period_us - g_get_monotonic_time ();
  self->tick_source = g_timeout_add (MAX (wait_us, 0) / 1000, tick_cb, self);
}

static void
synced_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  step_done (DSIM_SIM (source));
}

static void
part_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  dsim_join_done (user_data);
}

/* Drivers look for new work, including what the dispatcher just gave them. */
static void
sync_drivers (DsimSim *self)
{
  GTask *join = dsim_join_new (self, NULL, synced_cb, NULL, sync_drivers);

  for (guint i = 0; i < self->drivers->len; i++)
    dsim_driver_sync_async (g_ptr_array_index (self->drivers, i), part_done_cb,
                            dsim_join_add (join));
  dsim_join_close (join);
}

static void
dispatched_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  sync_drivers (user_data);
}

static void
acted_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  DsimSim *self = DSIM_SIM (source);

  if (self->dispatcher != NULL)
    dsim_dispatcher_run_async (self->dispatcher, dispatched_cb, self);
  else
    sync_drivers (self);
}

typedef struct {
  GTask       *join;
  guint        seq;
  DsimAccount *customer;
  char        *order_id;
} NewOrder;

static void
new_order_free (NewOrder *new_order)
{
  g_free (new_order->order_id);
  g_free (new_order);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NewOrder, new_order_free)

/* The customer has read its delivery PIN, to tell the driver at the door. */
static void
pin_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(NewOrder) new_order = user_data;
  DsimSim *self = g_task_get_source_object (new_order->join);
  g_autoptr(JsonObject) proof = NULL;
  g_autoptr(GError) error = NULL;
  const char *pin = NULL;

  proof = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (proof != NULL &&
      dispatch_json_get_string (proof, NULL, "pin", DISPATCH_JSON_REQUIRED, 0, &pin, &error))
    dsim_context_set_order_pin (self->context, new_order->order_id, pin);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    dsim_stats_error (dsim_context_get_stats (self->context), "order", error);

  dsim_join_done (new_order->join);
}

static void
order_created_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(NewOrder) new_order = user_data;
  DsimSim *self = g_task_get_source_object (new_order->join);
  DsimStats *stats = dsim_context_get_stats (self->context);
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(GError) error = NULL;
  const char *id = NULL;

  order = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (order != NULL &&
      dispatch_json_get_string (order, NULL, "id", DISPATCH_JSON_REQUIRED, 0, &id, &error))
    {
      dsim_context_add_order (self->context, id, new_order->seq,
                              dsim_context_get_now (self->context));
      dsim_stats_add (stats, DSIM_ORDERS_CREATED, 1);
      if (options_of (self)->proof_pin)
        {
          g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/proof", id);
          DsimAccount *customer = new_order->customer;

          new_order->order_id = g_strdup (id);
          dsim_api_call_async (DSIM_API (source), customer, "GET", path, NULL, NULL,
                               dsim_context_get_cancellable (self->context), pin_read_cb,
                               g_steal_pointer (&new_order));
          return;
        }
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      dsim_stats_error (stats, "order", error);
    }

  dsim_join_done (new_order->join);
}

/* "proof": what --proof asks every order's delivery for. */
static void
add_proof (DsimSim  *self,
           JsonNode *body)
{
  const DsimOptions *options = options_of (self);
  JsonObject *proof;

  if (!options->proof_pin && !options->proof_photo && !options->proof_signature)
    return;

  proof = json_object_new ();
  json_object_set_boolean_member (proof, "pin", options->proof_pin);
  json_object_set_boolean_member (proof, "photo", options->proof_photo);
  json_object_set_boolean_member (proof, "signature", options->proof_signature);
  json_object_set_object_member (json_node_get_object (body), "proof", proof);
}

static void
create_orders (DsimSim *self,
               GTask   *join)
{
  const DsimGrid *grid = dsim_context_get_grid (self->context);
  double now_s = dsim_context_get_now (self->context);
  const DsimOptions *options = options_of (self);
  DsimOrderSpec spec;

  while (dsim_demand_next (self->demand, now_s, &spec))
    {
      /* Windows exist only with a speedup (dsim-options.c). */
      g_autoptr(JsonNode) body = dsim_order_spec_to_json (&spec, grid, g_get_real_time (),
                                                          options->speedup > 0
                                                          ? 1.0 / options->speedup : 0);
      g_autofree char *key = dsim_context_new_key (self->context);
      NewOrder *new_order = g_new0 (NewOrder, 1);

      add_proof (self, body);
      new_order->join = dsim_join_add (join);
      new_order->seq = spec.seq;
      new_order->customer = g_ptr_array_index (self->customers, spec.customer);
      dsim_api_call_async (dsim_context_get_api (self->context), new_order->customer, "POST",
                           "/api/v1/orders", body, key,
                           dsim_context_get_cancellable (self->context), order_created_cb,
                           new_order);
      dsim_order_spec_clear (&spec);
    }
}

static void
tick (DsimSim *self)
{
  const DsimOptions *options = options_of (self);
  gint64 now_us = g_get_monotonic_time ();
  double dt_s, now_s;
  GTask *join;

  dt_s = options->deterministic
         ? options->step_s
         : MIN ((now_us - self->tick_started_us) / 1e6 * options->speedup, MAX_STEP_S);
  self->tick_started_us = now_us;
  now_s = dsim_context_get_now (self->context) + dt_s;
  if (options->duration_s > 0)
    now_s = MIN (now_s, options->duration_s);
  dsim_context_set_now (self->context, now_s);

  for (guint i = 0; i < self->drivers->len; i++)
    dsim_driver_advance (g_ptr_array_index (self->drivers, i), now_s, dt_s);

  join = dsim_join_new (self, NULL, acted_cb, NULL, tick);
  create_orders (self, join);
  for (guint i = 0; i < self->drivers->len; i++)
    dsim_driver_act_async (g_ptr_array_index (self->drivers, i), part_done_cb,
                           dsim_join_add (join));
  dsim_join_close (join);
}

static void
setup_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DsimSim) self = user_data;
  const DsimOptions *options = options_of (self);
  g_autoptr(GError) error = NULL;

  if (!dsim_setup_finish (result, &self->drivers, &self->customers, &error))
    {
      g_task_return_error (self->task, g_steal_pointer (&error));
      g_clear_object (&self->task);
      return;
    }

  g_print ("dispatch-sim: %u drivers and %u customers ready after %.1f s; seed %u\n",
           self->drivers->len, self->customers->len,
           (g_get_monotonic_time () - self->started_us) / (double) G_USEC_PER_SEC,
           options->seed);

  if (options->assign)
    self->dispatcher = dsim_dispatcher_new (self->context, self->drivers);
  if (!options->quiet)
    self->summary_source = g_timeout_add_seconds (1, summary_cb, self);

  self->tick_started_us = self->stepping_us = g_get_monotonic_time ();
  if (self->stopping)
    finish (self);
  else
    tick (self);
}

static void
dsim_sim_dispose (GObject *object)
{
  DsimSim *self = DSIM_SIM (object);

  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_handle_id (&self->summary_source, g_source_remove);
  g_clear_object (&self->dispatcher);
  g_clear_pointer (&self->drivers, g_ptr_array_unref);
  g_clear_pointer (&self->customers, g_ptr_array_unref);
  g_clear_pointer (&self->demand, dsim_demand_free);
  g_clear_object (&self->task);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dsim_sim_parent_class)->dispose (object);
}

static void
dsim_sim_class_init (DsimSimClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dsim_sim_dispose;
}

static void
dsim_sim_init (DsimSim *self)
{
  self->on_terminal = isatty (STDOUT_FILENO);
}

DsimSim *
dsim_sim_new (DsimOptions *options)
{
  DsimSim *self = g_object_new (DSIM_TYPE_SIM, NULL);

  self->context = dsim_context_new (options);
  self->demand = dsim_demand_new (dsim_context_get_grid (self->context), options);

  return self;
}

void
dsim_sim_run_async (DsimSim             *self,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_return_if_fail (DSIM_IS_SIM (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (self->task, dsim_sim_run_async);
  self->started_us = g_get_monotonic_time ();

  dsim_setup_async (self->context, setup_cb, g_object_ref (self));
}

gboolean
dsim_sim_run_finish (DsimSim       *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsim_sim_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
dsim_sim_stop (DsimSim *self)
{
  g_return_if_fail (DSIM_IS_SIM (self));

  if (self->stopping)
    {
      g_cancellable_cancel (dsim_context_get_cancellable (self->context));
      return;
    }

  self->stopping = TRUE;
  /* Between steps: end now rather than at the next one. */
  if (self->tick_source != 0)
    {
      g_clear_handle_id (&self->tick_source, g_source_remove);
      finish (self);
    }
}
