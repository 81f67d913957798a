/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include <string.h>

#include "dispatch-json.h"
#include "dsim-driver.h"
#include "dsim-names.h"
#include "dsim-setup.h"

/* Users set up at the same time (each login hashes with 64 MiB on the server). */
#define WORKERS 2
#define PAGE_LIMIT 500
#define PASSWORD_LENGTH 24

typedef struct {
  DsimContext *context;
  GHashTable  *existing;     /* usernames the server has */
  GPtrArray   *drivers;      /* of DsimDriver, by index */
  GPtrArray   *customers;    /* of DsimAccount, by index */
  guint        next_member;  /* drivers first, then customers */
  guint        running;
  GError      *error;        /* the first failure */
} Setup;

typedef struct {
  GTask           *task;     /* the setup's */
  guint            number;   /* among the drivers or the customers */
  gboolean         is_driver;
  DsimAccount     *account;
  DispatchVehicle  vehicle;
  gboolean         online;
  guint            pending;  /* clean-up calls under way */
} Member;

static void start_members (GTask *task);

static void
setup_free (Setup *setup)
{
  g_clear_object (&setup->context);
  g_clear_pointer (&setup->existing, g_hash_table_unref);
  g_clear_pointer (&setup->drivers, g_ptr_array_unref);
  g_clear_pointer (&setup->customers, g_ptr_array_unref);
  g_clear_error (&setup->error);
  g_free (setup);
}

/* The arrays have a slot per member, empty until the member is ready. */
static void
unref_driver (gpointer driver)
{
  g_clear_object (&driver);
}

static void
unref_account (gpointer account)
{
  g_clear_pointer (&account, dsim_account_unref);
}

static void
member_free (Member *member)
{
  g_object_unref (member->task);
  g_clear_pointer (&member->account, dsim_account_unref);
  g_free (member);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Member, member_free)

static DsimApi *
api_of (Member *member)
{
  Setup *setup = g_task_get_task_data (member->task);

  return dsim_context_get_api (setup->context);
}

static GCancellable *
cancellable_of (Member *member)
{
  Setup *setup = g_task_get_task_data (member->task);

  return dsim_context_get_cancellable (setup->context);
}

/* Stable across runs, unguessable without the admin password. */
static char *
derive_password (const char *admin_password,
                 const char *username)
{
  g_autofree char *digest = g_compute_hmac_for_string (G_CHECKSUM_SHA256,
                                                       (const guchar *) admin_password,
                                                       strlen (admin_password), username, -1);

  return g_strndup (digest, PASSWORD_LENGTH);
}

static void
finish_member (Member *member,
               GError *error)
{
  g_autoptr(Member) owned = member;
  Setup *setup = g_task_get_task_data (member->task);

  if (error != NULL)
    {
      if (setup->error == NULL)
        g_propagate_prefixed_error (&setup->error, error, "%s: ", member->account->username);
      else
        g_error_free (error);
    }
  else if (member->is_driver)
    {
      DsimDriver *driver = dsim_driver_new (setup->context, member->number, member->account,
                                            member->vehicle);

      dsim_driver_start (driver, member->online);
      g_ptr_array_index (setup->drivers, member->number) = driver;
    }
  else
    {
      g_ptr_array_index (setup->customers, member->number) = dsim_account_ref (member->account);
    }

  setup->running--;
  start_members (member->task);
}

/* Clean-up calls may find the order finished meanwhile: only failures of
 * transport or server count. */
static void
cleanup_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Member *member = user_data;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;

  object = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (object == NULL && error->domain != DISPATCH_ERROR)
    {
      Setup *setup = g_task_get_task_data (member->task);

      dsim_stats_error (dsim_context_get_stats (setup->context), "clean-up", error);
    }

  if (--member->pending == 0)
    finish_member (member, NULL);
}

static void
cleanup_order (Member     *member,
               const char *order_id,
               gboolean    fail)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/%s", order_id,
                                           fail ? "status" : "cancel");

  json_builder_begin_object (builder);
  if (fail)
    {
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, "failed");
    }
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, "simulator restarted");
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  member->pending++;
  dsim_api_call_async (api_of (member), member->account, "POST", path, body, NULL,
                       cancellable_of (member), cleanup_cb, member);
}

/* Fails a driver's leftovers, cancels a customer's. */
static void
cleanup_orders (Member     *member,
                JsonArray  *ids_or_orders)
{
  member->pending = 1;

  for (guint i = 0; i < json_array_get_length (ids_or_orders); i++)
    {
      JsonNode *node = json_array_get_element (ids_or_orders, i);
      const char *id = NULL;

      if (JSON_NODE_HOLDS_VALUE (node))
        id = json_node_get_string (node);
      else if (JSON_NODE_HOLDS_OBJECT (node))
        id = json_object_get_string_member_with_default (json_node_get_object (node), "id",
                                                         NULL);
      if (id != NULL)
        cleanup_order (member, id, member->is_driver);
    }

  if (--member->pending == 0)
    finish_member (member, NULL);
}

/* What an earlier run may have left: a driver's active orders, a customer's pending ones. */
static JsonArray *
read_leftovers (Member      *member,
                JsonObject  *object,
                GError     **error)
{
  JsonArray *list = NULL;
  const char *vehicle = NULL;

  if (!member->is_driver)
    return dispatch_json_get_array (object, NULL, "orders", DISPATCH_JSON_REQUIRED, 0, &list,
                                    error) ? list : NULL;

  if (!dispatch_json_get_array (object, NULL, "active_orders", DISPATCH_JSON_REQUIRED, 0,
                                &list, error) ||
      !dispatch_json_get_boolean (object, NULL, "online", DISPATCH_JSON_REQUIRED,
                                  &member->online, error) ||
      !dispatch_json_get_enum (object, NULL, "vehicle", DISPATCH_JSON_REQUIRED,
                               dispatch_enum_names (DISPATCH_TYPE_VEHICLE), &vehicle, error))
    return NULL;

  dispatch_vehicle_from_string (vehicle, &member->vehicle);
  return list;
}

static void
state_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Member *member = user_data;
  g_autoptr(JsonObject) object = NULL;
  GError *error = NULL;
  JsonArray *leftovers = NULL;

  object = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (object == NULL || (leftovers = read_leftovers (member, object, &error)) == NULL)
    finish_member (member, error);
  else
    cleanup_orders (member, leftovers);
}

static void
login_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Member *member = user_data;
  GError *error = NULL;
  g_autofree char *path = NULL;

  if (!dsim_api_login_finish (DSIM_API (source), result, &error))
    {
      finish_member (member, error);
      return;
    }

  if (member->is_driver && member->account->driver_id == NULL)
    {
      finish_member (member, g_error_new (DISPATCH_ERROR, DISPATCH_ERROR_CONFLICT,
                                          "the user exists and is not a driver"));
      return;
    }
  if (!member->is_driver && member->account->customer_id == NULL)
    {
      finish_member (member, g_error_new (DISPATCH_ERROR, DISPATCH_ERROR_CONFLICT,
                                          "the user exists and is not a customer"));
      return;
    }

  path = member->is_driver
         ? g_strconcat ("/api/v1/drivers/", member->account->driver_id, NULL)
         : g_strdup_printf ("/api/v1/orders?status=pending&limit=%d", PAGE_LIMIT);
  dsim_api_call_async (api_of (member), member->account, "GET", path, NULL, NULL,
                       cancellable_of (member), state_cb, member);
}

static void
login (Member *member)
{
  dsim_api_login_async (api_of (member), member->account, cancellable_of (member), login_cb,
                        member);
}

static void
user_created_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Member *member = user_data;
  g_autoptr(JsonObject) user = NULL;
  GError *error = NULL;

  user = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (user == NULL)
    finish_member (member, error);
  else
    login (member);
}

static void
create_user (Member     *member,
             const char *driver_id)
{
  Setup *setup = g_task_get_task_data (member->task);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, member->account->username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, member->account->password);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, member->is_driver ? "driver" : "customer");
  if (driver_id != NULL)
    {
      json_builder_set_member_name (builder, "driver_id");
      json_builder_add_string_value (builder, driver_id);
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  dsim_api_call_async (api_of (member), dsim_context_get_admin (setup->context), "POST",
                       "/api/v1/users", body, NULL, cancellable_of (member), user_created_cb,
                       member);
}

static void
driver_created_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Member *member = user_data;
  g_autoptr(JsonObject) driver = NULL;
  GError *error = NULL;
  const char *id = NULL;

  driver = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (driver == NULL ||
      !dispatch_json_get_string (driver, NULL, "id", DISPATCH_JSON_REQUIRED, 0, &id, &error))
    finish_member (member, error);
  else
    create_user (member, id);
}

/* A driver record with a person's name and a vehicle, then its user. */
static void
create_driver (Member *member)
{
  Setup *setup = g_task_get_task_data (member->task);
  const DsimOptions *options = dsim_context_get_options (setup->context);
  guint32 seed[] = { options->seed, member->number, 0x5e7 };
  g_autoptr(GRand) rng = g_rand_new_with_seed_array (seed, G_N_ELEMENTS (seed));
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *name = dsim_names_person (rng);
  double kind = g_rand_double (rng);

  /* Couriers: mostly bikes and scooters, some cars, a few vans. */
  member->vehicle = kind < 0.35 ? DISPATCH_VEHICLE_BIKE
                    : kind < 0.65 ? DISPATCH_VEHICLE_SCOOTER
                    : kind < 0.9 ? DISPATCH_VEHICLE_CAR
                    : DISPATCH_VEHICLE_VAN;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "vehicle");
  json_builder_add_string_value (builder, dispatch_vehicle_to_string (member->vehicle));
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, "+49 30 0000 0000");
  json_builder_set_member_name (builder, "capacity");
  json_builder_add_int_value (builder, dsim_context_get_options (setup->context)->trip_max);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  dsim_api_call_async (api_of (member), dsim_context_get_admin (setup->context), "POST",
                       "/api/v1/drivers", body, NULL, cancellable_of (member),
                       driver_created_cb, member);
}

static void
start_member (GTask *task,
              guint  index)
{
  Setup *setup = g_task_get_task_data (task);
  const DsimOptions *options = dsim_context_get_options (setup->context);
  Member *member = g_new0 (Member, 1);
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;

  member->task = g_object_ref (task);
  member->is_driver = index < options->n_drivers;
  member->number = member->is_driver ? index : index - options->n_drivers;
  username = g_strdup_printf ("%s-%s-%03u", options->prefix,
                              member->is_driver ? "driver" : "customer", member->number + 1);
  password = derive_password (options->admin_password, username);
  member->account = dsim_account_new (username, password);

  if (g_hash_table_contains (setup->existing, username))
    login (member);
  else if (member->is_driver)
    create_driver (member);
  else
    create_user (member, NULL);
}

static void
start_members (GTask *task)
{
  Setup *setup = g_task_get_task_data (task);
  const DsimOptions *options = dsim_context_get_options (setup->context);
  guint n_members = options->n_drivers + options->n_customers;

  while (setup->error == NULL && setup->running < WORKERS && setup->next_member < n_members)
    {
      setup->running++;
      start_member (task, setup->next_member++);
    }

  if (setup->running > 0)
    return;

  if (setup->error != NULL)
    g_task_return_error (task, g_steal_pointer (&setup->error));
  else
    g_task_return_boolean (task, TRUE);
}

static void list_users (GTask      *task,
                        const char *cursor);

static void
users_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Setup *setup = g_task_get_task_data (task);
  g_autoptr(JsonObject) page = NULL;
  GError *error = NULL;
  JsonArray *users = NULL;
  const char *next = NULL;

  page = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (page == NULL ||
      !dispatch_json_get_array (page, NULL, "users", DISPATCH_JSON_REQUIRED, 0, &users,
                                &error) ||
      !dispatch_json_get_string (page, NULL, "next", DISPATCH_JSON_NULLABLE, 0, &next, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonNode *node = json_array_get_element (users, i);
      const char *username;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      username = json_object_get_string_member_with_default (json_node_get_object (node),
                                                             "username", NULL);
      if (username != NULL)
        g_hash_table_add (setup->existing, g_strdup (username));
    }

  if (next != NULL)
    list_users (g_steal_pointer (&task), next);
  else
    start_members (g_steal_pointer (&task));
}

static void
list_users (GTask      *task,
            const char *cursor)
{
  Setup *setup = g_task_get_task_data (task);
  g_autofree char *escaped = cursor != NULL ? g_uri_escape_string (cursor, NULL, FALSE) : NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/users?limit=%d%s%s", PAGE_LIMIT,
                                           escaped != NULL ? "&next=" : "",
                                           escaped != NULL ? escaped : "");

  dsim_api_call_async (dsim_context_get_api (setup->context),
                       dsim_context_get_admin (setup->context), "GET", path, NULL, NULL,
                       g_task_get_cancellable (task), users_cb, task);
}

static void
admin_login_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!dsim_api_login_finish (DSIM_API (source), result, &error))
    {
      g_prefix_error (&error, "Cannot log in as the admin: ");
      g_task_return_error (task, error);
      return;
    }

  list_users (g_steal_pointer (&task), NULL);
}

void
dsim_setup_async (DsimContext         *context,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  const DsimOptions *options = dsim_context_get_options (context);
  g_autoptr(GTask) task = NULL;
  Setup *setup;

  task = g_task_new (NULL, dsim_context_get_cancellable (context), callback, user_data);
  g_task_set_source_tag (task, dsim_setup_async);

  setup = g_new0 (Setup, 1);
  setup->context = g_object_ref (context);
  setup->existing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  setup->drivers = g_ptr_array_new_full (options->n_drivers, unref_driver);
  g_ptr_array_set_size (setup->drivers, options->n_drivers);
  setup->customers = g_ptr_array_new_full (options->n_customers, unref_account);
  g_ptr_array_set_size (setup->customers, options->n_customers);
  g_task_set_task_data (task, setup, (GDestroyNotify) setup_free);

  dsim_api_login_async (dsim_context_get_api (context), dsim_context_get_admin (context),
                        dsim_context_get_cancellable (context), admin_login_cb,
                        g_steal_pointer (&task));
}

gboolean
dsim_setup_finish (GAsyncResult  *result,
                   GPtrArray    **out_drivers,
                   GPtrArray    **out_customers,
                   GError       **error)
{
  Setup *setup;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsim_setup_async, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  setup = g_task_get_task_data (G_TASK (result));
  *out_drivers = g_steal_pointer (&setup->drivers);
  *out_customers = g_steal_pointer (&setup->customers);
  return TRUE;
}
