/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include "dispatch-json.h"
#include "dsim-dispatcher.h"
#include "dsim-driver.h"
#include "dsim-join.h"

#define PAGE_LIMIT 500
#define MAX_PAGES 10

struct _DsimDispatcher {
  GObject      parent_instance;

  DsimContext *context;
  GPtrArray   *drivers;

  /* The round under way (one at a time) */
  GPtrArray   *candidates;  /* of Candidate */
  guint        pages;
};

G_DEFINE_FINAL_TYPE (DsimDispatcher, dsim_dispatcher, G_TYPE_OBJECT)

typedef struct {
  char     *id;
  guint     seq;          /* G_MAXUINT for orders the simulator did not create */
  char     *created_at;
  DsimNode  pickup;
} Candidate;

static void
candidate_free (Candidate *candidate)
{
  g_free (candidate->id);
  g_free (candidate->created_at);
  g_free (candidate);
}

/* Oldest first: the simulator's own orders by creation sequence (stable
 * between runs, unlike server times), then others by creation time. */
static int
compare_candidates (gconstpointer a,
                    gconstpointer b)
{
  const Candidate *x = *(const Candidate * const *) a;
  const Candidate *y = *(const Candidate * const *) b;

  if (x->seq != y->seq)
    return x->seq < y->seq ? -1 : 1;

  return g_strcmp0 (x->created_at, y->created_at);
}

/* A pending order this round may assign, or NULL (offered, too young, malformed). */
static Candidate *
candidate_from_order (DsimDispatcher *self,
                      JsonObject     *order)
{
  const DsimOptions *options = dsim_context_get_options (self->context);
  g_autoptr(GError) error = NULL;
  const char *id = NULL, *created_at = NULL;
  JsonObject *pickup = NULL, *offer = NULL;
  double lat, lon, created_s, age_s;
  gint64 created_us;
  guint seq = G_MAXUINT;
  Candidate *candidate;

  if (!dispatch_json_get_string (order, NULL, "id", DISPATCH_JSON_REQUIRED, 0, &id, &error) ||
      !dispatch_json_get_string (order, NULL, "created_at", DISPATCH_JSON_REQUIRED, 0,
                                 &created_at, &error) ||
      !dispatch_json_get_object (order, NULL, "offer", DISPATCH_JSON_NULLABLE, &offer,
                                 &error) ||
      !dispatch_json_get_object (order, NULL, "pickup", DISPATCH_JSON_REQUIRED, &pickup,
                                 &error) ||
      !dispatch_json_get_double (pickup, "pickup", "lat", DISPATCH_JSON_REQUIRED, -90, 90, &lat,
                                 &error) ||
      !dispatch_json_get_double (pickup, "pickup", "lon", DISPATCH_JSON_REQUIRED, -180, 180,
                                 &lon, &error))
    {
      dsim_stats_error (dsim_context_get_stats (self->context), "pending order", error);
      return NULL;
    }

  /* The driver is thinking about it. */
  if (offer != NULL)
    return NULL;

  if (dsim_context_lookup_order (self->context, id, &seq, &created_s))
    age_s = dsim_context_get_now (self->context) - created_s;
  else if (dispatch_parse_timestamp (created_at, &created_us))
    age_s = (g_get_real_time () - created_us) / (double) G_USEC_PER_SEC;
  else
    age_s = 0;

  if (age_s < options->assign_delay_s)
    return NULL;

  candidate = g_new0 (Candidate, 1);
  candidate->id = g_strdup (id);
  candidate->seq = seq;
  candidate->created_at = g_strdup (created_at);
  candidate->pickup = dsim_grid_nearest (dsim_context_get_grid (self->context), lat, lon);

  return candidate;
}

static DsimDriver *
nearest_available (DsimDispatcher *self,
                   DsimNode        pickup,
                   GHashTable     *taken)
{
  const DsimGrid *grid = dsim_context_get_grid (self->context);
  DsimDriver *best = NULL;
  double best_m = G_MAXDOUBLE;

  for (guint i = 0; i < self->drivers->len; i++)
    {
      DsimDriver *driver = g_ptr_array_index (self->drivers, i);
      double distance_m;

      if (!dsim_driver_is_available (driver) || g_hash_table_contains (taken, driver))
        continue;

      distance_m = dsim_grid_distance_m (grid, dsim_driver_get_node (driver), pickup);
      if (distance_m < best_m)
        {
          best = driver;
          best_m = distance_m;
        }
    }

  return best;
}

static void
assign_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *join = user_data;
  DsimDispatcher *self = g_task_get_source_object (join);
  DsimStats *stats = dsim_context_get_stats (self->context);
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(GError) error = NULL;

  order = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (order != NULL)
    dsim_stats_add (stats, DSIM_ASSIGNMENTS_MADE, 1);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
           !g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_CONFLICT) &&
           !g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_TRANSITION) &&
           !g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND))
    dsim_stats_error (stats, "assign", error);

  dsim_join_done (join);
}

static void
assign_all (DsimDispatcher *self,
            GTask          *join)
{
  DsimApi *api = dsim_context_get_api (self->context);
  g_autoptr(GHashTable) taken = g_hash_table_new (NULL, NULL);

  g_ptr_array_sort (self->candidates, compare_candidates);

  for (guint i = 0; i < self->candidates->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (self->candidates, i);
      DsimDriver *driver = nearest_available (self, candidate->pickup, taken);
      g_autoptr(JsonBuilder) builder = NULL;
      g_autoptr(JsonNode) body = NULL;
      g_autofree char *path = NULL;
      g_autofree char *key = NULL;

      if (driver == NULL)
        break;

      g_hash_table_add (taken, driver);
      /* The driver learns of it through its own API; until then it is not available. */
      dsim_driver_expect_order (driver, candidate->id);

      builder = json_builder_new ();
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "driver_id");
      json_builder_add_string_value (builder, dsim_driver_get_id (driver));
      json_builder_end_object (builder);
      body = json_builder_get_root (builder);
      path = g_strdup_printf ("/api/v1/orders/%s/assign", candidate->id);
      key = dsim_context_new_key (self->context);

      dsim_api_call_async (api, dsim_context_get_admin (self->context), "POST", path, body, key,
                           dsim_context_get_cancellable (self->context), assign_cb,
                           dsim_join_add (join));
    }
}

static void list_page (DsimDispatcher *self,
                       GTask          *join,
                       const char     *cursor);

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *join = user_data;
  DsimDispatcher *self = g_task_get_source_object (join);
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *orders = NULL;
  const char *next = NULL;

  page = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (page == NULL ||
      !dispatch_json_get_array (page, NULL, "orders", DISPATCH_JSON_REQUIRED, 0, &orders,
                                &error) ||
      !dispatch_json_get_string (page, NULL, "next", DISPATCH_JSON_NULLABLE, 0, &next, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        dsim_stats_error (dsim_context_get_stats (self->context), "pending orders", error);
      dsim_join_done (join);
      return;
    }

  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonNode *node = json_array_get_element (orders, i);
      Candidate *candidate;

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          (candidate = candidate_from_order (self, json_node_get_object (node))) != NULL)
        g_ptr_array_add (self->candidates, candidate);
    }

  if (next != NULL && self->pages < MAX_PAGES)
    list_page (self, dsim_join_add (join), next);
  else
    assign_all (self, join);

  dsim_join_done (join);
}

static void
list_page (DsimDispatcher *self,
           GTask          *join,
           const char     *cursor)
{
  g_autofree char *escaped = cursor != NULL ? g_uri_escape_string (cursor, NULL, FALSE) : NULL;
  g_autofree char *path = NULL;

  self->pages++;
  path = g_strdup_printf ("/api/v1/orders?status=pending&limit=%d%s%s", PAGE_LIMIT,
                          escaped != NULL ? "&next=" : "", escaped != NULL ? escaped : "");
  dsim_api_call_async (dsim_context_get_api (self->context), dsim_context_get_admin (self->context),
                       "GET", path, NULL, NULL, dsim_context_get_cancellable (self->context),
                       list_cb, join);
}

static void
dsim_dispatcher_dispose (GObject *object)
{
  DsimDispatcher *self = DSIM_DISPATCHER (object);

  g_clear_object (&self->context);
  g_clear_pointer (&self->drivers, g_ptr_array_unref);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);

  G_OBJECT_CLASS (dsim_dispatcher_parent_class)->dispose (object);
}

static void
dsim_dispatcher_class_init (DsimDispatcherClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dsim_dispatcher_dispose;
}

static void
dsim_dispatcher_init (DsimDispatcher *self)
{
  self->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) candidate_free);
}

DsimDispatcher *
dsim_dispatcher_new (DsimContext *context,
                     GPtrArray   *drivers)
{
  DsimDispatcher *self = g_object_new (DSIM_TYPE_DISPATCHER, NULL);

  self->context = g_object_ref (context);
  self->drivers = g_ptr_array_ref (drivers);

  return self;
}

void
dsim_dispatcher_run_async (DsimDispatcher      *self,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *join;

  g_return_if_fail (DSIM_IS_DISPATCHER (self));

  join = dsim_join_new (self, NULL, callback, user_data, dsim_dispatcher_run_async);
  g_ptr_array_set_size (self->candidates, 0);
  self->pages = 0;

  list_page (self, dsim_join_add (join), NULL);
  dsim_join_close (join);
}
