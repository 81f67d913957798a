/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include <string.h>

#include "dsd-router-private.h"

/* A tree of path segments: literal children by text, one placeholder child. */
typedef struct _Node Node;
struct _Node
{
  GHashTable *literals;     /* segment → Node, NULL until needed */
  Node       *placeholder;
  GPtrArray  *routes;       /* DsdRoute, NULL until needed */
};

struct _DsdRouter
{
  GObject    parent_instance;

  Node      *root;
  GPtrArray *routes;        /* owns every DsdRoute */
};

G_DEFINE_FINAL_TYPE (DsdRouter, dsd_router, G_TYPE_OBJECT)

static Node *
node_new (void)
{
  return g_new0 (Node, 1);
}

static void
node_free (gpointer data)
{
  Node *node = data;

  g_clear_pointer (&node->literals, g_hash_table_unref);
  g_clear_pointer (&node->placeholder, node_free);
  g_clear_pointer (&node->routes, g_ptr_array_unref);
  g_free (node);
}

static void
route_free (gpointer data)
{
  DsdRoute *route = data;

  g_free (route->pattern);
  g_strfreev (route->param_names);
  g_free (route);
}

static const DsdRoute *
node_find_route (const Node *node,
                 const char *method)
{
  if (node->routes == NULL)
    return NULL;

  for (guint i = 0; i < node->routes->len; i++)
    {
      const DsdRoute *route = g_ptr_array_index (node->routes, i);

      if (strcmp (route->method, method) == 0)
        return route;
    }

  return NULL;
}

static gboolean
is_placeholder (const char *segment)
{
  gsize len = strlen (segment);

  return len > 2 && segment[0] == '{' && segment[len - 1] == '}';
}

/* Depth-first, literal before placeholder, so the most literal route that
 * has the method wins. values[] receives placeholder values along the path. */
static const DsdRoute *
match_node (const Node        *node,
            const char        *method,
            const char *const *segments,
            guint              n_segments,
            const char       **values,
            guint              n_values)
{
  const DsdRoute *route = NULL;
  const Node *child;

  if (n_segments == 0)
    {
      route = node_find_route (node, method);
      if (route == NULL && strcmp (method, SOUP_METHOD_HEAD) == 0)
        route = node_find_route (node, SOUP_METHOD_GET);
      return route;
    }

  if (node->literals != NULL &&
      (child = g_hash_table_lookup (node->literals, segments[0])) != NULL)
    route = match_node (child, method, segments + 1, n_segments - 1, values, n_values);

  if (route == NULL && node->placeholder != NULL && segments[0][0] != '\0' &&
      n_values < DSD_ROUTER_MAX_PARAMS)
    {
      values[n_values] = segments[0];
      route = match_node (node->placeholder, method, segments + 1, n_segments - 1,
                          values, n_values + 1);
    }

  return route;
}

/* Methods are interned strings, so pointers compare. */
static void
add_allowed (GPtrArray  *methods,
             const char *method)
{
  if (!g_ptr_array_find (methods, method, NULL))
    g_ptr_array_add (methods, (gpointer) method);
}

/* Every method of every node the path reaches, for the Allow header. */
static void
collect_methods (const Node        *node,
                 const char *const *segments,
                 guint              n_segments,
                 GPtrArray         *methods)
{
  const Node *child;

  if (n_segments == 0)
    {
      for (guint i = 0; node->routes != NULL && i < node->routes->len; i++)
        {
          const DsdRoute *route = g_ptr_array_index (node->routes, i);

          add_allowed (methods, route->method);
          if (strcmp (route->method, SOUP_METHOD_GET) == 0)
            add_allowed (methods, SOUP_METHOD_HEAD);
        }
      return;
    }

  if (node->literals != NULL &&
      (child = g_hash_table_lookup (node->literals, segments[0])) != NULL)
    collect_methods (child, segments + 1, n_segments - 1, methods);

  if (node->placeholder != NULL && segments[0][0] != '\0')
    collect_methods (node->placeholder, segments + 1, n_segments - 1, methods);
}

static void
add_route (DsdRouter           *self,
           const char          *method,
           const char          *pattern,
           guint                allowed_roles,
           DsdRouteHandler      handler,
           DsdWebsocketHandler  websocket_handler,
           gpointer             user_data)
{
  g_auto(GStrv) segments = NULL;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  DsdRoute *route;
  Node *node = self->root;
  guint n_params = 0;

  g_return_if_fail (method != NULL && *method != '\0');
  g_return_if_fail (pattern != NULL && pattern[0] == '/');
  g_return_if_fail ((allowed_roles & ~DSD_ROLES_ANY) == 0);

  segments = g_strsplit (pattern + 1, "/", -1);
  g_return_if_fail (g_strv_length (segments) <= DSD_ROUTER_MAX_SEGMENTS);

  for (guint i = 0; segments[i] != NULL; i++)
    {
      const char *segment = segments[i];

      if (is_placeholder (segment))
        {
          g_autofree char *name = g_strndup (segment + 1, strlen (segment) - 2);

          g_return_if_fail (++n_params <= DSD_ROUTER_MAX_PARAMS);
          g_strv_builder_add (names, name);

          if (node->placeholder == NULL)
            node->placeholder = node_new ();
          node = node->placeholder;
        }
      else
        {
          Node *child;

          g_return_if_fail (strchr (segment, '{') == NULL && strchr (segment, '}') == NULL);

          if (node->literals == NULL)
            node->literals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, node_free);

          child = g_hash_table_lookup (node->literals, segment);
          if (child == NULL)
            {
              child = node_new ();
              g_hash_table_insert (node->literals, g_strdup (segment), child);
            }
          node = child;
        }
    }

  method = g_intern_string (method);
  if (node_find_route (node, method) != NULL)
    {
      g_critical ("Route %s %s registered twice", method, pattern);
      return;
    }

  route = g_new0 (DsdRoute, 1);
  route->method = method;
  route->pattern = g_strdup (pattern);
  route->param_names = g_strv_builder_end (names);
  route->allowed_roles = allowed_roles;
  route->handler = handler;
  route->websocket_handler = websocket_handler;
  route->user_data = user_data;

  if (node->routes == NULL)
    node->routes = g_ptr_array_new ();
  g_ptr_array_add (node->routes, route);
  g_ptr_array_add (self->routes, route);
}

static void
dsd_router_finalize (GObject *object)
{
  DsdRouter *self = (DsdRouter *)object;

  g_clear_pointer (&self->root, node_free);
  g_clear_pointer (&self->routes, g_ptr_array_unref);

  G_OBJECT_CLASS (dsd_router_parent_class)->finalize (object);
}

static void
dsd_router_class_init (DsdRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dsd_router_finalize;
}

static void
dsd_router_init (DsdRouter *self)
{
  self->root = node_new ();
  self->routes = g_ptr_array_new_with_free_func (route_free);
}

DsdRouter *
dsd_router_new (void)
{
  return g_object_new (DSD_TYPE_ROUTER, NULL);
}

void
dsd_router_add (DsdRouter       *self,
                const char      *method,
                const char      *pattern,
                guint            allowed_roles,
                DsdRouteHandler  handler,
                gpointer         user_data)
{
  g_return_if_fail (DSD_IS_ROUTER (self));
  g_return_if_fail (handler != NULL);

  add_route (self, method, pattern, allowed_roles, handler, NULL, user_data);
}

void
dsd_router_add_websocket (DsdRouter           *self,
                          const char          *pattern,
                          guint                allowed_roles,
                          DsdRouteHandler      check,
                          DsdWebsocketHandler  handler,
                          gpointer             user_data)
{
  g_return_if_fail (DSD_IS_ROUTER (self));
  g_return_if_fail (handler != NULL);

  add_route (self, SOUP_METHOD_GET, pattern, allowed_roles, check, handler, user_data);
}

GStrv
dsd_router_list (DsdRouter *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (DSD_IS_ROUTER (self), NULL);

  for (guint i = 0; i < self->routes->len; i++)
    {
      const DsdRoute *route = g_ptr_array_index (self->routes, i);
      g_autofree char *line = g_strdup_printf ("%s %s", route->method, route->pattern);

      g_strv_builder_add (builder, line);
    }

  return g_strv_builder_end (builder);
}

const DsdRoute *
_dsd_router_match (DsdRouter         *self,
                   const char        *method,
                   const char *const *segments,
                   guint              n_segments,
                   const char       **values,
                   char             **allow)
{
  g_autoptr(GPtrArray) methods = NULL;
  const DsdRoute *route;

  g_assert (DSD_IS_ROUTER (self));
  g_assert (allow != NULL);

  *allow = NULL;

  if (n_segments > DSD_ROUTER_MAX_SEGMENTS)
    return NULL;

  route = match_node (self->root, method, segments, n_segments, values, 0);
  if (route != NULL)
    return route;

  methods = g_ptr_array_new ();
  collect_methods (self->root, segments, n_segments, methods);
  if (methods->len == 0)
    return NULL;

  add_allowed (methods, SOUP_METHOD_OPTIONS);
  g_ptr_array_add (methods, NULL);
  *allow = g_strjoinv (", ", (char **) methods->pdata);

  return NULL;
}
