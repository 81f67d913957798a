/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include <math.h>

#include "dispatch-json.h"
#include "dispatch-location.h"
#include "dispatch-png.h"
#include "dsim-driver.h"
#include "dsim-join.h"

/* Positions are sampled this often while moving, less often while standing. */
#define SAMPLE_MOVING_S 1.0
#define SAMPLE_STANDING_S 10.0
/* Real time between batched location POSTs (not in deterministic mode). */
#define POST_INTERVAL_US (1 * G_USEC_PER_SEC)
#define MAX_POINTS_PER_POST 1000
/* Busy drivers look for changes (cancellations, reassignments) less often. */
#define BUSY_POLL_FACTOR 5
#define STREAM_POLL_S 30.0
#define RECONNECT_US (5 * G_USEC_PER_SEC)
#define ROAM_SPEED_FACTOR 0.5
#define ROAM_RADIUS_BLOCKS 4
#define PARK_MIN_S 60.0
#define PARK_MAX_S 240.0
#define THINK_MIN_S 2.0
#define THINK_MAX_S 8.0
#define ACCURACY_M 8.0
/* An order action that keeps failing (not by conflict) is given up after this many tries. */
#define MAX_ACTION_TRIES 5

typedef enum {
  PHASE_OFFLINE,
  PHASE_IDLE,
  PHASE_TO_PICKUP,
  PHASE_AT_PICKUP,
  PHASE_TO_DROPOFF,
  PHASE_AT_DROPOFF,
} Phase;

typedef enum {
  ACTION_NONE,
  ACTION_GO_ONLINE,
  ACTION_GO_OFFLINE,
  ACTION_PICKED_UP,
  ACTION_DELIVERED,
  ACTION_FAILED,
  ACTION_ACCEPT,
  ACTION_DECLINE,
  ACTION_PIN,          /* proof of delivery, before ACTION_DELIVERED */
  ACTION_PHOTO,
  ACTION_SIGNATURE,
} Action;

/* What a delivery still needs (an order's "proof"."required"). */
typedef enum {
  PROOF_PIN = 1 << 0,
  PROOF_PHOTO = 1 << 1,
  PROOF_SIGNATURE = 1 << 2,
} Proof;

/* The reason codes a simulated failure picks from. */
static const char * const failure_codes[] = {
  "customer_absent", "wrong_address", "refused", "damaged", "unsafe_location",
};
/* Size of the generated proof photo, pixels. */
#define PHOTO_WIDTH 64
#define PHOTO_HEIGHT 48

typedef struct {
  char     *order_id;
  DsimNode  pickup;
  DsimNode  dropoff;
  gboolean  picked_up;
  guint     proof_todo;   /* Proof flags still to give */
  gboolean  fails;        /* decided on arrival at the dropoff */
} Job;

typedef struct {
  char     *order_id;
  double    answer_at_s;
  gboolean  accept;
} Offer;

struct _DsimDriver {
  GObject                  parent_instance;

  DsimContext             *context;
  guint                    index;
  DsimAccount             *account;
  char                    *path;        /* /api/v1/drivers/{id} */
  GRand                   *rng;
  double                   speed_mps;

  /* Shifts */
  gboolean                 online;      /* as the server has it */
  gboolean                 on_shift;
  double                   shift_change_s;

  /* Work */
  Phase                    phase;
  GQueue                   jobs;        /* of Job, the head is being worked on */
  GPtrArray               *offers;      /* of Offer, unanswered, in arrival order */
  GHashTable              *seen_offers; /* order ids offered while still listed */
  GPtrArray               *stops;       /* "pickup:ID" / "dropoff:ID", the server's route */
  char                    *expected;    /* assigned by the simulator, not seen yet */
  double                   wake_s;      /* end of a wait at a stop or of parking */

  /* Movement */
  DsimRoute               *route;       /* NULL while standing */
  DsimNode                 node;        /* at, or driving to */
  DispatchLatLon           position;
  double                   heading;
  double                   speed_now_mps;

  /* What advance() decided for act_async() */
  Action                   action;
  char                    *action_order;
  char                    *action_key;
  guint                    action_tries;

  GBytes                  *photo;       /* generated once, uploaded as proof */

  /* Reporting */
  double                   now_s;
  double                   last_sample_s;
  GArray                  *samples;     /* of DispatchLocationPoint */
  gint64                   last_recorded_us;
  gint64                   last_post_us;
  gboolean                 need_sync;
  double                   next_sync_s;
  SoupWebsocketConnection *socket;
  gboolean                 connecting;
  gint64                   reconnect_us;
};

G_DEFINE_FINAL_TYPE (DsimDriver, dsim_driver, G_TYPE_OBJECT)

static void
job_free (Job *job)
{
  g_free (job->order_id);
  g_free (job);
}

static void
offer_free (Offer *offer)
{
  g_free (offer->order_id);
  g_free (offer);
}

static const DsimOptions *
options_of (DsimDriver *self)
{
  return dsim_context_get_options (self->context);
}

static DsimStats *
stats_of (DsimDriver *self)
{
  return dsim_context_get_stats (self->context);
}

static const DsimGrid *
grid_of (DsimDriver *self)
{
  return dsim_context_get_grid (self->context);
}

/* An order is no longer this driver's to act on. */
static gboolean
is_gone_error (const GError *error)
{
  return g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_CONFLICT) ||
         g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_TRANSITION) ||
         g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND) ||
         g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_PERMISSION_DENIED);
}

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The answer to one of the driver's calls, or NULL after counting a failure
 * the driver did not expect (a cancellation never is one, nor a gone order
 * when gone_is_expected). */
static JsonObject *
finish_call (DsimDriver   *self,
             GObject      *source,
             GAsyncResult *result,
             gboolean      gone_is_expected)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  object = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (object == NULL && !is_cancelled (error) && !(gone_is_expected && is_gone_error (error)))
    dsim_stats_error (stats_of (self), self->account->username, error);

  return object;
}

static Job *
find_job (DsimDriver *self,
          const char *order_id)
{
  for (GList *l = self->jobs.head; l != NULL; l = l->next)
    {
      Job *job = l->data;

      if (g_str_equal (job->order_id, order_id))
        return job;
    }

  return NULL;
}

/* Movement ------------------------------------------------------------------ */

static void
stand_at (DsimDriver *self,
          DsimNode    node)
{
  g_clear_pointer (&self->route, dsim_route_free);
  self->node = node;
  self->position = dsim_grid_position (grid_of (self), node);
  self->speed_now_mps = 0;
}

static void
drive_to (DsimDriver *self,
          DsimNode    to)
{
  g_clear_pointer (&self->route, dsim_route_free);
  self->route = dsim_grid_plan (grid_of (self), self->position, self->node, to, self->rng);
}

/* Moves along the route; TRUE on arrival (then standing there). */
static gboolean
drive (DsimDriver *self,
       double      dt_s,
       double      speed_mps)
{
  gboolean arrived;

  if (self->route == NULL)
    return TRUE;

  arrived = dsim_route_advance (self->route, dt_s * speed_mps);
  self->position = dsim_route_get_position (self->route);
  self->node = dsim_route_get_ahead (self->route);

  if (arrived)
    {
      stand_at (self, self->node);
      return TRUE;
    }

  self->heading = dsim_route_get_heading (self->route);
  self->speed_now_mps = speed_mps;
  return FALSE;
}

static void
park (DsimDriver *self)
{
  stand_at (self, self->node);
  self->wake_s = self->now_s + g_rand_double_range (self->rng, PARK_MIN_S, PARK_MAX_S);
}

/* Idle drivers park for a while, then cruise a few blocks (towards custom). */
static void
idle (DsimDriver *self,
      double      dt_s)
{
  if (self->route != NULL)
    {
      if (drive (self, dt_s, self->speed_mps * ROAM_SPEED_FACTOR))
        park (self);
      return;
    }

  if (self->now_s < self->wake_s)
    return;

  if (g_rand_boolean (self->rng))
    drive_to (self, dsim_grid_random_nearby (grid_of (self), self->node, ROAM_RADIUS_BLOCKS,
                                             self->rng));
  else
    park (self);
}

/* Work ---------------------------------------------------------------------- */

/* Several orders at once: the job of the first stop of the server's route
 * (driver.route) that is still to do goes first. */
static void
follow_route (DsimDriver *self)
{
  for (guint i = 0; i < self->stops->len; i++)
    {
      const char *stop = g_ptr_array_index (self->stops, i);
      gboolean dropoff = g_str_has_prefix (stop, "dropoff:");
      Job *job = find_job (self, strchr (stop, ':') + 1);

      if (job != NULL && job->picked_up == dropoff)
        {
          g_queue_remove (&self->jobs, job);
          g_queue_push_head (&self->jobs, job);
          return;
        }
    }
}

static void
begin_job (DsimDriver *self)
{
  Job *job;

  follow_route (self);
  job = g_queue_peek_head (&self->jobs);

  if (job->picked_up)
    {
      drive_to (self, job->dropoff);
      self->phase = PHASE_TO_DROPOFF;
    }
  else
    {
      drive_to (self, job->pickup);
      self->phase = PHASE_TO_PICKUP;
    }
}

/* The head job is done or gone. */
static void
end_job (DsimDriver *self)
{
  job_free (g_queue_pop_head (&self->jobs));
  self->phase = PHASE_IDLE;
  park (self);
}

static void
lose_job (DsimDriver *self,
          Job        *job)
{
  dsim_stats_add (stats_of (self), DSIM_ORDERS_LOST, 1);

  if (job == g_queue_peek_head (&self->jobs) && self->phase != PHASE_IDLE)
    {
      /* Drop any pending step report for it as well. */
      if (self->action == ACTION_PICKED_UP || self->action == ACTION_DELIVERED ||
          self->action == ACTION_FAILED)
        self->action = ACTION_NONE;
      end_job (self);
      return;
    }

  g_queue_remove (&self->jobs, job);
  job_free (job);
}

static void
set_action (DsimDriver *self,
            Action      action,
            const char *order_id)
{
  self->action = action;
  self->action_tries = 0;
  g_free (self->action_order);
  self->action_order = g_strdup (order_id);
  g_free (self->action_key);
  self->action_key = order_id != NULL ? dsim_context_new_key (self->context) : NULL;
}

static double
dwell (DsimDriver *self,
       double      mean_s)
{
  return g_rand_double_range (self->rng, 0.5, 1.5) * mean_s;
}

static void
update_shift (DsimDriver *self)
{
  const DsimOptions *options = options_of (self);

  while (self->now_s >= self->shift_change_s)
    {
      self->on_shift = !self->on_shift;
      self->shift_change_s += self->on_shift
                              ? g_rand_double_range (self->rng, 0.75, 1.25) * options->shift_s
                              : g_rand_double_range (self->rng, 0.5, 1.5) * options->break_s;
    }
}

static void
answer_offers (DsimDriver *self)
{
  for (guint i = 0; i < self->offers->len && self->action == ACTION_NONE; i++)
    {
      Offer *offer = g_ptr_array_index (self->offers, i);

      if (offer->answer_at_s > self->now_s)
        continue;

      set_action (self, offer->accept ? ACTION_ACCEPT : ACTION_DECLINE, offer->order_id);
      g_ptr_array_remove_index (self->offers, i);
    }
}

static void
sample (DsimDriver *self)
{
  double interval = self->speed_now_mps > 0 ? SAMPLE_MOVING_S : SAMPLE_STANDING_S;
  DispatchLocationPoint point = {
    .lat = self->position.lat,
    .lon = self->position.lon,
    .heading = self->heading,
    .speed_mps = self->speed_now_mps,
    .accuracy_m = ACCURACY_M,
    .flags = DISPATCH_LOCATION_HAS_HEADING | DISPATCH_LOCATION_HAS_SPEED |
             DISPATCH_LOCATION_HAS_ACCURACY,
  };

  if (self->now_s - self->last_sample_s < interval)
    return;

  /* Real time, strictly increasing: the server orders a driver's points by it. */
  point.recorded_at_us = MAX (g_get_real_time (), self->last_recorded_us + 1);
  self->last_recorded_us = point.recorded_at_us;
  self->last_sample_s = self->now_s;
  g_array_append_val (self->samples, point);
}

/* Sending -------------------------------------------------------------------- */

static JsonNode *
online_body (gboolean online)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "online");
  json_builder_add_boolean_value (builder, online);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static JsonNode *
status_body (DsimDriver *self,
             Action      action)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, action == ACTION_PICKED_UP ? "picked_up"
                                          : action == ACTION_DELIVERED ? "delivered"
                                          : "failed");
  if (action == ACTION_FAILED)
    {
      json_builder_set_member_name (builder, "reason_code");
      json_builder_add_string_value (builder, failure_codes[g_rand_int_range (
                                       self->rng, 0, G_N_ELEMENTS (failure_codes))]);
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, "Simulated failure");
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* {"pin"}: the PIN the order's customer told, or a made-up one for an order
 * the simulator did not create (the server refuses it, the job is given up). */
static JsonNode *
pin_body (DsimDriver *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *pin = dsim_context_get_order_pin (self->context, self->action_order);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "pin");
  json_builder_add_string_value (builder, pin != NULL ? pin : "0000");
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* A doorstep photo (or signature), generated: a gradient in the driver's own colour. */
static GBytes *
ensure_photo (DsimDriver *self)
{
  if (self->photo == NULL)
    {
      g_autofree guint8 *rgb = g_malloc (PHOTO_WIDTH * PHOTO_HEIGHT * 3);
      guint8 hue = self->index * 37;

      for (guint y = 0; y < PHOTO_HEIGHT; y++)
        for (guint x = 0; x < PHOTO_WIDTH; x++)
          {
            guint8 *pixel = rgb + (y * PHOTO_WIDTH + x) * 3;

            pixel[0] = hue;
            pixel[1] = x * 255 / PHOTO_WIDTH;
            pixel[2] = y * 255 / PHOTO_HEIGHT;
          }
      self->photo = dispatch_png_encode (PHOTO_WIDTH, PHOTO_HEIGHT, rgb);
    }

  return self->photo;
}

/* The proof flags of an order object's "proof"."required". */
static guint
proof_required (JsonObject *order)
{
  JsonObject *proof = NULL;
  JsonArray *required = NULL;
  guint flags = 0;

  if (!dispatch_json_get_object (order, NULL, "proof", DISPATCH_JSON_NULLABLE, &proof, NULL) ||
      proof == NULL ||
      !dispatch_json_get_array (proof, "proof", "required", DISPATCH_JSON_NULLABLE, G_MAXUINT,
                                &required, NULL) || required == NULL)
    return 0;

  for (guint i = 0; i < json_array_get_length (required); i++)
    {
      const char *name = json_array_get_string_element (required, i);

      flags |= g_strcmp0 (name, "pin") == 0 ? PROOF_PIN
               : g_strcmp0 (name, "photo") == 0 ? PROOF_PHOTO
               : g_strcmp0 (name, "signature") == 0 ? PROOF_SIGNATURE : 0;
    }

  return flags;
}

/* At the dropoff: fail, give the next proof, or deliver. */
static Action
dropoff_action (const Job *job)
{
  if (job->fails)
    return ACTION_FAILED;
  if (job->proof_todo & PROOF_PHOTO)
    return ACTION_PHOTO;
  if (job->proof_todo & PROOF_SIGNATURE)
    return ACTION_SIGNATURE;
  if (job->proof_todo & PROOF_PIN)
    return ACTION_PIN;
  return ACTION_DELIVERED;
}

static void
begin_shift (DsimDriver *self)
{
  self->online = TRUE;
  self->phase = PHASE_IDLE;
  self->next_sync_s = self->now_s;
  self->last_sample_s = -INFINITY;
  dsim_stats_add (stats_of (self), DSIM_SHIFTS_STARTED, 1);
  park (self);
  sample (self);
}

static void
end_shift (DsimDriver *self)
{
  self->online = FALSE;
  self->phase = PHASE_OFFLINE;
  g_array_set_size (self->samples, 0);
  dsim_stats_add (stats_of (self), DSIM_SHIFTS_ENDED, 1);
  stand_at (self, self->node);
}

/* A job from an order object the server returned, if it is this driver's. */
static void
take_order (DsimDriver *self,
            JsonObject *order)
{
  const char *id = json_object_get_string_member_with_default (order, "id", NULL);
  const char *status = json_object_get_string_member_with_default (order, "status", "");
  const char *driver_id = json_object_get_string_member_with_default (order, "driver_id", "");
  const DsimGrid *grid = grid_of (self);
  JsonObject *pickup = NULL, *dropoff = NULL;
  double pickup_lat, pickup_lon, dropoff_lat, dropoff_lon;
  double created_s;
  Job *job;

  if (id == NULL || g_strcmp0 (driver_id, self->account->driver_id) != 0 ||
      (!g_str_equal (status, "assigned") && !g_str_equal (status, "picked_up")) ||
      find_job (self, id) != NULL)
    return;

  if (!dispatch_json_get_object (order, NULL, "pickup", DISPATCH_JSON_REQUIRED, &pickup, NULL) ||
      !dispatch_json_get_object (order, NULL, "dropoff", DISPATCH_JSON_REQUIRED, &dropoff,
                                 NULL) ||
      !dispatch_json_get_double (pickup, "pickup", "lat", DISPATCH_JSON_REQUIRED, -90, 90,
                                 &pickup_lat, NULL) ||
      !dispatch_json_get_double (pickup, "pickup", "lon", DISPATCH_JSON_REQUIRED, -180, 180,
                                 &pickup_lon, NULL) ||
      !dispatch_json_get_double (dropoff, "dropoff", "lat", DISPATCH_JSON_REQUIRED, -90, 90,
                                 &dropoff_lat, NULL) ||
      !dispatch_json_get_double (dropoff, "dropoff", "lon", DISPATCH_JSON_REQUIRED, -180, 180,
                                 &dropoff_lon, NULL))
    return;

  job = g_new0 (Job, 1);
  job->order_id = g_strdup (id);
  job->pickup = dsim_grid_nearest (grid, pickup_lat, pickup_lon);
  job->dropoff = dsim_grid_nearest (grid, dropoff_lat, dropoff_lon);
  job->picked_up = g_str_equal (status, "picked_up");
  job->proof_todo = proof_required (order);
  g_queue_push_tail (&self->jobs, job);

  dsim_stats_add (stats_of (self), DSIM_ORDERS_ASSIGNED, 1);
  if (dsim_context_lookup_order (self->context, id, NULL, &created_s))
    dsim_stats_add_wait (stats_of (self), DSIM_WAIT_ASSIGNMENT, self->now_s - created_s);
}

static void
action_done (DsimDriver *self,
             JsonObject *object)
{
  DsimStats *stats = stats_of (self);
  Job *job = g_queue_peek_head (&self->jobs);
  double created_s;

  switch (self->action)
    {
    case ACTION_GO_ONLINE:
      begin_shift (self);
      break;
    case ACTION_GO_OFFLINE:
      end_shift (self);
      break;
    case ACTION_PICKED_UP:
      job->picked_up = TRUE;
      dsim_stats_add (stats, DSIM_ORDERS_PICKED_UP, 1);
      if (dsim_context_lookup_order (self->context, job->order_id, NULL, &created_s))
        dsim_stats_add_wait (stats, DSIM_WAIT_PICKUP, self->now_s - created_s);
      begin_job (self);
      break;
    case ACTION_DELIVERED:
    case ACTION_FAILED:
      dsim_stats_add (stats, self->action == ACTION_DELIVERED ? DSIM_ORDERS_DELIVERED
                                                              : DSIM_ORDERS_FAILED, 1);
      end_job (self);
      break;
    case ACTION_PIN:
      job->proof_todo &= ~PROOF_PIN;
      dsim_stats_add (stats, DSIM_PINS_ENTERED, 1);
      break;
    case ACTION_PHOTO:
    case ACTION_SIGNATURE:
      job->proof_todo &= self->action == ACTION_PHOTO ? ~PROOF_PHOTO : ~PROOF_SIGNATURE;
      dsim_stats_add (stats, DSIM_PROOF_IMAGES, 1);
      break;
    case ACTION_ACCEPT:
      dsim_stats_add (stats, DSIM_OFFERS_ACCEPTED, 1);
      take_order (self, object);
      break;
    case ACTION_DECLINE:
      dsim_stats_add (stats, DSIM_OFFERS_DECLINED, 1);
      break;
    case ACTION_NONE:
    default:
      g_assert_not_reached ();
    }

  set_action (self, ACTION_NONE, NULL);
}

/* The order the action was about is not the driver's any more. */
static void
action_gone (DsimDriver *self)
{
  Job *job;

  switch (self->action)
    {
    case ACTION_ACCEPT:
    case ACTION_DECLINE:
      dsim_stats_add (stats_of (self), DSIM_OFFERS_MISSED, 1);
      set_action (self, ACTION_NONE, NULL);
      break;
    case ACTION_PICKED_UP:
    case ACTION_DELIVERED:
    case ACTION_FAILED:
    case ACTION_PIN:
    case ACTION_PHOTO:
    case ACTION_SIGNATURE:
      job = find_job (self, self->action_order);
      set_action (self, ACTION_NONE, NULL);
      if (job != NULL)
        lose_job (self, job);
      break;
    case ACTION_GO_ONLINE:
    case ACTION_GO_OFFLINE:
    case ACTION_NONE:
    default:
      g_assert_not_reached ();
    }
}

static void
action_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *join = user_data;
  DsimDriver *self = g_task_get_source_object (join);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;

  object = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (object != NULL)
    action_done (self, object);
  else if (is_cancelled (error))
    ;
  else if (self->action_order != NULL && is_gone_error (error))
    action_gone (self);
  else
    {
      dsim_stats_error (stats_of (self), self->account->username, error);
      /* Tried again at the next step; an order step that keeps failing is given up. */
      if (self->action_order != NULL && ++self->action_tries >= MAX_ACTION_TRIES)
        action_gone (self);
    }

  dsim_join_done (join);
}

static void
send_action (DsimDriver *self,
             GTask      *join)
{
  DsimApi *api = dsim_context_get_api (self->context);
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;

  switch (self->action)
    {
    case ACTION_GO_ONLINE:
    case ACTION_GO_OFFLINE:
      path = g_strconcat (self->path, "/online", NULL);
      body = online_body (self->action == ACTION_GO_ONLINE);
      break;
    case ACTION_PICKED_UP:
    case ACTION_DELIVERED:
    case ACTION_FAILED:
      path = g_strdup_printf ("/api/v1/orders/%s/status", self->action_order);
      body = status_body (self, self->action);
      break;
    case ACTION_PIN:
      path = g_strdup_printf ("/api/v1/orders/%s/proof/pin", self->action_order);
      body = pin_body (self);
      break;
    case ACTION_PHOTO:
    case ACTION_SIGNATURE:
      path = g_strdup_printf ("/api/v1/orders/%s/proof/%s", self->action_order,
                              self->action == ACTION_PHOTO ? "photo" : "signature");
      dsim_api_call_bytes_async (api, self->account, "PUT", path, "image/png",
                                 ensure_photo (self),
                                 dsim_context_get_cancellable (self->context), action_cb,
                                 dsim_join_add (join));
      return;
    case ACTION_ACCEPT:
    case ACTION_DECLINE:
      path = g_strdup_printf ("/api/v1/orders/%s/%s", self->action_order,
                              self->action == ACTION_ACCEPT ? "accept" : "decline");
      break;
    case ACTION_NONE:
    default:
      g_assert_not_reached ();
    }

  dsim_api_call_async (api, self->account, "POST", path, body, self->action_key,
                       dsim_context_get_cancellable (self->context), action_cb,
                       dsim_join_add (join));
}

static void
locations_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *join = user_data;
  DsimDriver *self = g_task_get_source_object (join);
  g_autoptr(JsonObject) object = finish_call (self, source, result, FALSE);

  if (object != NULL)
    dsim_stats_add (stats_of (self), DSIM_LOCATION_POINTS,
                    json_object_get_int_member_with_default (object, "accepted", 0));

  dsim_join_done (join);
}

static void
post_locations (DsimDriver *self,
                GTask      *join)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = g_strconcat (self->path, "/location", NULL);
  guint n = MIN (self->samples->len, MAX_POINTS_PER_POST);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "points");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    dispatch_location_point_to_json (&g_array_index (self->samples, DispatchLocationPoint, i),
                                     builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  g_array_remove_range (self->samples, 0, n);
  self->last_post_us = g_get_real_time ();

  dsim_api_call_async (dsim_context_get_api (self->context), self->account, "POST", path, body,
                       NULL, dsim_context_get_cancellable (self->context), locations_cb,
                       dsim_join_add (join));
}

/* Driver websocket frames {"type":"location",…point}, one per sample. */
static void
send_location_frames (DsimDriver *self)
{
  for (guint i = 0; i < self->samples->len; i++)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      /* The point's members, then the frame type, in one object. */
      dispatch_location_point_to_json (&g_array_index (self->samples, DispatchLocationPoint, i),
                                       builder);
      root = json_builder_get_root (builder);
      json_object_set_string_member (json_node_get_object (root), "type", "location");
      text = dispatch_json_to_string (root, NULL);
      soup_websocket_connection_send_text (self->socket, text);
    }

  dsim_stats_add (stats_of (self), DSIM_LOCATION_POINTS, self->samples->len);
  g_array_set_size (self->samples, 0);
}

/* The driver's websocket ------------------------------------------------------ */

/* driver.route: the order of the stops to follow. */
static void
take_route (DsimDriver *self,
            JsonObject *frame)
{
  JsonObject *data = NULL;
  JsonArray *stops = NULL;

  g_ptr_array_set_size (self->stops, 0);
  if (!dispatch_json_get_object (frame, NULL, "data", DISPATCH_JSON_REQUIRED, &data, NULL) ||
      !dispatch_json_get_array (data, NULL, "stops", DISPATCH_JSON_REQUIRED, G_MAXUINT, &stops,
                                NULL))
    return;

  for (guint i = 0; i < json_array_get_length (stops); i++)
    {
      JsonNode *node = json_array_get_element (stops, i);
      JsonObject *stop = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *order_id = NULL;
      const char *kind = NULL;

      if (stop != NULL &&
          dispatch_json_get_string (stop, NULL, "order_id", DISPATCH_JSON_REQUIRED, 0, &order_id,
                                    NULL) &&
          dispatch_json_get_string (stop, NULL, "kind", DISPATCH_JSON_REQUIRED, 0, &kind, NULL))
        g_ptr_array_add (self->stops, g_strdup_printf ("%s:%s", kind, order_id));
    }
}

static void
socket_message_cb (SoupWebsocketConnection *socket,
                   int                      type,
                   GBytes                  *message,
                   DsimDriver              *self)
{
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;
  const char *data = g_bytes_get_data (message, &length);

  frame = dispatch_json_parse_object (data, length, &error);
  if (frame == NULL)
    {
      dsim_stats_error (stats_of (self), "driver stream frame", error);
      return;
    }

  if (g_strcmp0 (json_object_get_string_member_with_default (frame, "type", NULL),
                 "driver.route") == 0)
    {
      take_route (self, frame);
      return;
    }

  if (g_strcmp0 (json_object_get_string_member_with_default (frame, "type", NULL), "error") == 0)
    {
      g_set_error (&error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_ARGUMENT,
                   "the server refused a frame: %.*s", (int) MIN (length, 300), data);
      dsim_stats_error (stats_of (self), self->account->username, error);
      return;
    }

  /* Any offer or assignment news: look at once (the REST answer is the
   * reference). Deterministic runs keep to their polling schedule. */
  if (!options_of (self)->deterministic)
    self->need_sync = TRUE;
}

static void
socket_closed_cb (SoupWebsocketConnection *socket,
                  DsimDriver              *self)
{
  g_signal_handlers_disconnect_by_data (socket, self);
  g_clear_object (&self->socket);
  self->need_sync = TRUE;
  self->reconnect_us = g_get_real_time () + RECONNECT_US;
}

static void
socket_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DsimDriver) self = user_data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *socket;

  self->connecting = FALSE;
  socket = dsim_api_websocket_finish (DSIM_API (source), result, &error);
  if (socket == NULL)
    {
      if (is_cancelled (error))
        return;
      if (dsim_context_get_streams (self->context) == DSIM_STREAMS_UNKNOWN)
        {
          g_printerr ("dispatch-sim: driver websockets are not available (%s): "
                      "polling for work, locations over HTTP\n", error->message);
          dsim_context_set_streams (self->context, DSIM_STREAMS_MISSING);
        }
      self->reconnect_us = g_get_real_time () + RECONNECT_US;
      return;
    }

  dsim_context_set_streams (self->context, DSIM_STREAMS_AVAILABLE);
  self->socket = socket;
  g_signal_connect_object (socket, "message", G_CALLBACK (socket_message_cb), self, 0);
  g_signal_connect_object (socket, "closed", G_CALLBACK (socket_closed_cb), self, 0);
  self->need_sync = TRUE;
}

/* Deterministic runs only need the socket for locations. */
static gboolean
wants_socket (DsimDriver *self)
{
  const DsimOptions *options = options_of (self);

  return self->online &&
         dsim_context_get_streams (self->context) != DSIM_STREAMS_MISSING &&
         (options->locations == DSIM_LOCATIONS_WS || !options->deterministic);
}

static void
connect_socket (DsimDriver *self)
{
  g_autofree char *path = g_strconcat (self->path, "/stream", NULL);

  /* The first driver finds out whether the server has streams; the others wait. */
  if (dsim_context_get_streams (self->context) == DSIM_STREAMS_UNKNOWN && self->index > 0)
    return;

  self->connecting = TRUE;
  dsim_api_websocket_async (dsim_context_get_api (self->context), self->account, path,
                            dsim_context_get_cancellable (self->context), socket_cb,
                            g_object_ref (self));
}

static gboolean
uses_socket_for_locations (DsimDriver *self)
{
  return options_of (self)->locations == DSIM_LOCATIONS_WS && self->socket != NULL &&
         soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN;
}

/* Syncing with the server --------------------------------------------------- */

static void
order_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *join = user_data;
  DsimDriver *self = g_task_get_source_object (join);
  g_autoptr(JsonObject) order = finish_call (self, source, result, TRUE);

  if (order != NULL)
    take_order (self, order);

  dsim_join_done (join);
}

static gboolean
array_has_string (JsonArray  *array,
                  const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node) && g_strcmp0 (json_node_get_string (node), value) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
driver_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *join = user_data;
  DsimDriver *self = g_task_get_source_object (join);
  g_autoptr(JsonObject) driver = finish_call (self, source, result, FALSE);
  g_autoptr(GError) error = NULL;
  JsonArray *active = NULL;
  GList *l;

  if (driver == NULL ||
      !dispatch_json_get_array (driver, NULL, "active_orders", DISPATCH_JSON_REQUIRED, 0,
                                &active, &error))
    {
      if (error != NULL)
        dsim_stats_error (stats_of (self), self->account->username, error);
      dsim_join_done (join);
      return;
    }

  g_clear_pointer (&self->expected, g_free);

  /* Taken away: cancelled, unassigned or reassigned by a dispatcher. */
  l = self->jobs.head;
  while (l != NULL)
    {
      Job *job = l->data;

      l = l->next;
      if (!array_has_string (active, job->order_id))
        lose_job (self, job);
    }

  for (guint i = 0; i < json_array_get_length (active); i++)
    {
      const char *order_id = json_array_get_string_element (active, i);
      g_autofree char *path = NULL;

      if (order_id == NULL || find_job (self, order_id) != NULL)
        continue;

      path = g_strconcat ("/api/v1/orders/", order_id, NULL);
      dsim_api_call_async (DSIM_API (source), self->account, "GET", path, NULL, NULL,
                           dsim_context_get_cancellable (self->context), order_cb,
                           dsim_join_add (join));
    }

  dsim_join_done (join);
}

static void
offers_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *join = user_data;
  DsimDriver *self = g_task_get_source_object (join);
  const DsimOptions *options = options_of (self);
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonObject) object = finish_call (self, source, result, FALSE);
  g_autoptr(GError) error = NULL;
  JsonArray *offers = NULL;
  GHashTableIter iter;
  gpointer key;

  if (object == NULL ||
      !dispatch_json_get_array (object, NULL, "offers", DISPATCH_JSON_REQUIRED, 0, &offers,
                                &error))
    {
      if (error != NULL)
        dsim_stats_error (stats_of (self), self->account->username, error);
      dsim_join_done (join);
      return;
    }

  for (guint i = 0; i < json_array_get_length (offers); i++)
    {
      JsonNode *node = json_array_get_element (offers, i);
      const char *order_id;
      Offer *offer;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      order_id = json_object_get_string_member_with_default (json_node_get_object (node),
                                                             "order_id", NULL);
      if (order_id == NULL)
        continue;

      g_hash_table_add (listed, (gpointer) order_id);
      if (g_hash_table_contains (self->seen_offers, order_id))
        continue;

      g_hash_table_add (self->seen_offers, g_strdup (order_id));
      dsim_stats_add (stats_of (self), DSIM_OFFERS_RECEIVED, 1);
      offer = g_new0 (Offer, 1);
      offer->order_id = g_strdup (order_id);
      offer->accept = g_rand_double (self->rng) >= options->decline_rate;
      offer->answer_at_s = self->now_s + g_rand_double_range (self->rng, THINK_MIN_S,
                                                              THINK_MAX_S);
      g_ptr_array_add (self->offers, offer);
    }

  /* Forget offers no longer listed, so that memory stays bounded. */
  g_hash_table_iter_init (&iter, self->seen_offers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (listed, key))
      g_hash_table_iter_remove (&iter);

  dsim_join_done (join);
}

static void
sync_now (DsimDriver *self,
          GTask      *join)
{
  DsimApi *api = dsim_context_get_api (self->context);
  GCancellable *cancellable = dsim_context_get_cancellable (self->context);
  const DsimOptions *options = options_of (self);
  double interval = options->poll_interval_s;
  g_autofree char *offers_path = g_strconcat (self->path, "/offers", NULL);

  if (!g_queue_is_empty (&self->jobs))
    interval *= BUSY_POLL_FACTOR;
  if (self->socket != NULL && !options->deterministic)
    interval = MAX (interval, STREAM_POLL_S);
  self->need_sync = FALSE;
  self->next_sync_s = self->now_s + interval;

  dsim_api_call_async (api, self->account, "GET", self->path, NULL, NULL, cancellable,
                       driver_cb, dsim_join_add (join));
  if (g_queue_is_empty (&self->jobs))
    dsim_api_call_async (api, self->account, "GET", offers_path, NULL, NULL, cancellable,
                         offers_cb, dsim_join_add (join));
}

/* GObject -------------------------------------------------------------------- */

static void
dsim_driver_dispose (GObject *object)
{
  DsimDriver *self = DSIM_DRIVER (object);

  if (self->socket != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->socket, self);
      g_clear_object (&self->socket);
    }
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dsim_driver_parent_class)->dispose (object);
}

static void
dsim_driver_finalize (GObject *object)
{
  DsimDriver *self = DSIM_DRIVER (object);

  g_queue_clear_full (&self->jobs, (GDestroyNotify) job_free);
  g_ptr_array_unref (self->offers);
  g_hash_table_unref (self->seen_offers);
  g_ptr_array_unref (self->stops);
  g_clear_pointer (&self->route, dsim_route_free);
  g_clear_pointer (&self->account, dsim_account_unref);
  g_clear_pointer (&self->rng, g_rand_free);
  g_array_unref (self->samples);
  g_free (self->path);
  g_free (self->expected);
  g_free (self->action_order);
  g_free (self->action_key);
  g_clear_pointer (&self->photo, g_bytes_unref);

  G_OBJECT_CLASS (dsim_driver_parent_class)->finalize (object);
}

static void
dsim_driver_class_init (DsimDriverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsim_driver_dispose;
  object_class->finalize = dsim_driver_finalize;
}

static void
dsim_driver_init (DsimDriver *self)
{
  g_queue_init (&self->jobs);
  self->offers = g_ptr_array_new_with_free_func ((GDestroyNotify) offer_free);
  self->seen_offers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->stops = g_ptr_array_new_with_free_func (g_free);
  self->samples = g_array_new (FALSE, FALSE, sizeof (DispatchLocationPoint));
  self->last_sample_s = -INFINITY;
}

/* Public API ----------------------------------------------------------------- */

DsimDriver *
dsim_driver_new (DsimContext     *context,
                 guint            index,
                 DsimAccount     *account,
                 DispatchVehicle  vehicle)
{
  DsimDriver *self = g_object_new (DSIM_TYPE_DRIVER, NULL);
  guint32 seed[] = { dsim_context_get_options (context)->seed, index, 0xd12e7 };

  g_return_val_if_fail (account->driver_id != NULL, NULL);

  self->context = g_object_ref (context);
  self->index = index;
  self->account = dsim_account_ref (account);
  self->path = g_strconcat ("/api/v1/drivers/", account->driver_id, NULL);
  self->rng = g_rand_new_with_seed_array (seed, G_N_ELEMENTS (seed));
  self->speed_mps = dispatch_vehicle_speed_mps (vehicle) * g_rand_double_range (self->rng,
                                                                                  0.85, 1.15);

  return self;
}

const char *
dsim_driver_get_id (DsimDriver *self)
{
  g_return_val_if_fail (DSIM_IS_DRIVER (self), NULL);

  return self->account->driver_id;
}

void
dsim_driver_start (DsimDriver *self,
                   gboolean    online)
{
  const DsimOptions *options;

  g_return_if_fail (DSIM_IS_DRIVER (self));

  options = options_of (self);
  stand_at (self, dsim_grid_random_node (grid_of (self), self->rng));
  self->heading = g_rand_int_range (self->rng, 0, 4) * 90.0;

  /* Somewhere in the middle of a shift, or of a break. */
  self->on_shift = g_rand_double (self->rng) < options->online_fraction;
  self->shift_change_s = g_rand_double (self->rng) *
                         (self->on_shift ? options->shift_s : options->break_s);
  self->online = online;
  self->phase = online ? PHASE_IDLE : PHASE_OFFLINE;
}

void
dsim_driver_advance (DsimDriver *self,
                     double      now_s,
                     double      dt_s)
{
  const DsimOptions *options;

  g_return_if_fail (DSIM_IS_DRIVER (self));

  options = options_of (self);
  self->now_s = now_s;
  update_shift (self);

  if (self->action != ACTION_NONE)
    {
      /* Still waiting at a stop for the server to take the report; the rest
       * of the step goes on (a refused action is retried by act_async). */
    }
  else if (!self->online)
    {
      if (self->on_shift)
        set_action (self, ACTION_GO_ONLINE, NULL);
      return;
    }
  else if (!self->on_shift && g_queue_is_empty (&self->jobs) && self->offers->len == 0 &&
           self->expected == NULL)
    {
      set_action (self, ACTION_GO_OFFLINE, NULL);
      return;
    }

  if (!self->online)
    return;

  switch (self->phase)
    {
    case PHASE_IDLE:
      if (!g_queue_is_empty (&self->jobs))
        begin_job (self);
      else
        idle (self, dt_s);
      break;
    case PHASE_TO_PICKUP:
    case PHASE_TO_DROPOFF:
      if (drive (self, dt_s, self->speed_mps))
        {
          gboolean at_pickup = self->phase == PHASE_TO_PICKUP;

          self->phase = at_pickup ? PHASE_AT_PICKUP : PHASE_AT_DROPOFF;
          self->wake_s = now_s + dwell (self, at_pickup ? options->dwell_s
                                                        : options->dwell_s / 2);
          if (!at_pickup)
            ((Job *) g_queue_peek_head (&self->jobs))->fails =
              g_rand_double (self->rng) < options->fail_rate;
        }
      break;
    case PHASE_AT_PICKUP:
      if (now_s >= self->wake_s && self->action == ACTION_NONE)
        set_action (self, ACTION_PICKED_UP,
                    ((Job *) g_queue_peek_head (&self->jobs))->order_id);
      break;
    case PHASE_AT_DROPOFF:
      if (now_s >= self->wake_s && self->action == ACTION_NONE)
        {
          Job *job = g_queue_peek_head (&self->jobs);

          set_action (self, dropoff_action (job), job->order_id);
        }
      break;
    case PHASE_OFFLINE:
    default:
      g_assert_not_reached ();
    }

  answer_offers (self);
  sample (self);
}

void
dsim_driver_act_async (DsimDriver          *self,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  const DsimOptions *options;
  GTask *join;

  g_return_if_fail (DSIM_IS_DRIVER (self));

  options = options_of (self);
  join = dsim_join_new (self, NULL, callback, user_data, dsim_driver_act_async);

  if (self->action != ACTION_NONE)
    send_action (self, join);

  if (wants_socket (self) && self->socket == NULL && !self->connecting &&
      g_get_real_time () >= self->reconnect_us)
    connect_socket (self);

  if (self->samples->len > 0 && self->online)
    {
      if (uses_socket_for_locations (self))
        send_location_frames (self);
      else if (options->deterministic ||
               g_get_real_time () - self->last_post_us >= POST_INTERVAL_US)
        post_locations (self, join);
    }

  dsim_join_close (join);
}

void
dsim_driver_sync_async (DsimDriver          *self,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *join;

  g_return_if_fail (DSIM_IS_DRIVER (self));

  join = dsim_join_new (self, NULL, callback, user_data, dsim_driver_sync_async);
  if (self->online && (self->need_sync || self->now_s >= self->next_sync_s))
    sync_now (self, join);
  dsim_join_close (join);
}

static void
stop_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsimDriver *self = g_task_get_source_object (task);
  g_autoptr(JsonObject) object = finish_call (self, source, result, FALSE);

  if (object != NULL)
    end_shift (self);

  g_task_return_boolean (task, object != NULL);
}

void
dsim_driver_stop_async (DsimDriver          *self,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (DSIM_IS_DRIVER (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, dsim_driver_stop_async);

  if (self->socket != NULL)
    soup_websocket_connection_close (self->socket, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);

  if (!self->online)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  path = g_strconcat (self->path, "/online", NULL);
  body = online_body (FALSE);
  dsim_api_call_async (dsim_context_get_api (self->context), self->account, "POST", path, body,
                       NULL, dsim_context_get_cancellable (self->context), stop_cb,
                       g_steal_pointer (&task));
}

gboolean
dsim_driver_is_online (DsimDriver *self)
{
  g_return_val_if_fail (DSIM_IS_DRIVER (self), FALSE);

  return self->online;
}

gboolean
dsim_driver_is_busy (DsimDriver *self)
{
  g_return_val_if_fail (DSIM_IS_DRIVER (self), FALSE);

  return !g_queue_is_empty (&self->jobs);
}

gboolean
dsim_driver_is_available (DsimDriver *self)
{
  g_return_val_if_fail (DSIM_IS_DRIVER (self), FALSE);

  return self->online && self->on_shift && g_queue_is_empty (&self->jobs) &&
         self->expected == NULL && self->offers->len == 0 && self->action == ACTION_NONE;
}

DsimNode
dsim_driver_get_node (DsimDriver *self)
{
  return self->node;
}

void
dsim_driver_expect_order (DsimDriver *self,
                          const char *order_id)
{
  g_return_if_fail (DSIM_IS_DRIVER (self));

  g_free (self->expected);
  self->expected = g_strdup (order_id);
  self->need_sync = TRUE;
}
