/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-auth"

#include "config.h"

#include "dsd-principal.h"

/* The public struct comes first so a DsdPrincipal * is a PrincipalImpl *. The
 * actor JSON is built once: principals are shared by every request carrying
 * the same token and handed to SQL on each of them. */
typedef struct {
  DsdPrincipal     pub;
  gatomicrefcount  ref_count;
  char            *json;
} PrincipalImpl;

const char *
dsd_role_to_string (DsdRole role)
{
  g_autoptr(GFlagsClass) klass = g_type_class_ref (DSD_TYPE_ROLE);
  GFlagsValue *value = g_flags_get_first_value (klass, role);

  /* One role, not a mask */
  g_return_val_if_fail (value != NULL && value->value == role, NULL);

  return value->value_nick;
}

gboolean
dsd_role_from_string (const char *str,
                      DsdRole    *role)
{
  g_autoptr(GFlagsClass) klass = NULL;
  GFlagsValue *value;

  g_return_val_if_fail (role != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  klass = g_type_class_ref (DSD_TYPE_ROLE);
  if ((value = g_flags_get_value_by_nick (klass, str)) == NULL)
    return FALSE;

  *role = value->value;
  return TRUE;
}

static void
add_nullable_string (JsonBuilder *builder,
                     const char  *member,
                     const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static char *
build_actor_json (const DsdPrincipal *principal)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  add_nullable_string (builder, "role", dsd_role_to_string (principal->role));
  add_nullable_string (builder, "user_id", principal->user_id);
  add_nullable_string (builder, "driver_id", principal->driver_id);
  add_nullable_string (builder, "customer_id", principal->customer_id);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

DsdPrincipal *
dsd_principal_new (DsdRole     role,
                   const char *user_id,
                   const char *username,
                   const char *driver_id,
                   const char *customer_id)
{
  PrincipalImpl *self;

  g_return_val_if_fail (dsd_role_to_string (role) != NULL, NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  self = g_new0 (PrincipalImpl, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->pub.role = role;
  self->pub.user_id = g_strdup (user_id);
  self->pub.username = g_strdup (username);
  self->pub.driver_id = g_strdup (driver_id);
  self->pub.customer_id = g_strdup (customer_id);
  self->json = build_actor_json (&self->pub);

  return &self->pub;
}

DsdPrincipal *
dsd_principal_ref (DsdPrincipal *self)
{
  PrincipalImpl *impl = (PrincipalImpl *) self;

  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&impl->ref_count);
  return self;
}

void
dsd_principal_unref (DsdPrincipal *self)
{
  PrincipalImpl *impl = (PrincipalImpl *) self;

  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&impl->ref_count))
    return;

  g_free (self->user_id);
  g_free (self->username);
  g_free (self->driver_id);
  g_free (self->customer_id);
  g_free (impl->json);
  g_free (impl);
}

char *
dsd_principal_to_json (const DsdPrincipal *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_strdup (((const PrincipalImpl *) self)->json);
}
