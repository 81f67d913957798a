/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include "dispatch-json.h"
#include "dsd-api.h"
#include "dsd-pg-pool.h"
#include "dsd-tracking-expiry.h"
#include "dsd-tracking-page.h"

#define RESOURCE_DIR "/io/github/dispatchd/server/tracking/"
#define STATE_PLACEHOLDER "@INITIAL_STATE@"
#define VERSION_PLACEHOLDER "@VERSION@"
/* The page names its assets with the server's version (?v=), so a cached
 * copy never outlives an upgrade. */
#define ASSET_CACHE_CONTROL "public, max-age=604800, immutable"

static const char public_sql[] = "SELECT dispatch.track_public($1)::text";

static const struct {
  const char *suffix;
  const char *content_type;
} content_types[] = {
  { ".js", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".png", "image/png" },
  { ".svg", "image/svg+xml" },
  { "LICENSE", "text/plain; charset=utf-8" },
};

struct _DsdTrackingPage {
  GObject     parent_instance;

  DsdContext *context;
};

G_DEFINE_FINAL_TYPE (DsdTrackingPage, dsd_tracking_page, G_TYPE_OBJECT)

typedef struct {
  DsdRequest *request;
  DsdContext *context;
  char       *token;
} PageCall;

static void
page_call_free (PageCall *call)
{
  dsd_request_unref (call->request);
  g_free (call->token);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PageCall, page_call_free)

static void
set_header (DsdRequest *request,
            const char *name,
            const char *value)
{
  dsd_request_set_response_header (request, name, value);
}

static char *
replace_all (const char *text,
             const char *placeholder,
             const char *value)
{
  g_auto(GStrv) parts = g_strsplit (text, placeholder, -1);

  return g_strjoinv (value, parts);
}

/* {"token","error","tracking"} for the page's script; "<" escaped so that
 * nothing in it can end the <script> element. */
static char *
initial_state (const char *token,
               const char *error,
               const char *tracking)
{
  g_autoptr(JsonNode) token_node = json_node_init_string (json_node_alloc (), token);
  g_autofree char *token_json = dispatch_json_to_string (token_node, NULL);
  g_autofree char *state = NULL;

  state = g_strdup_printf ("{\"token\":%s,\"error\":%s%s%s,\"tracking\":%s}", token_json,
                           error ? "\"" : "", error ? error : "null", error ? "\"" : "",
                           tracking ? tracking : "null");

  return replace_all (state, "<", "\\u003c");
}

static void
respond_page (DsdRequest *request,
              guint       status,
              const char *state)
{
  g_autoptr(GBytes) template = NULL;
  g_autoptr(GBytes) page = NULL;
  g_autofree char *versioned = NULL;
  char *html;

  template = g_resources_lookup_data (RESOURCE_DIR "index.html", G_RESOURCE_LOOKUP_FLAGS_NONE,
                                      NULL);
  g_assert (template != NULL);

  versioned = replace_all (g_bytes_get_data (template, NULL), VERSION_PLACEHOLDER,
                           PACKAGE_VERSION);
  html = replace_all (versioned, STATE_PLACEHOLDER, state);
  page = g_bytes_new_take (html, strlen (html));

  set_header (request, "Cache-Control", "no-store");
  /* The URL is the customer's key: tile servers must not see it. */
  set_header (request, "Referrer-Policy", "no-referrer");
  set_header (request, "X-Content-Type-Options", "nosniff");
  set_header (request, "Content-Security-Policy",
              "default-src 'self'; img-src 'self' data: https://*.openstreetmap.org; "
              "connect-src 'self'; frame-ancestors 'none'");
  dsd_request_respond_bytes (request, status, "text/html; charset=utf-8", page);
}

static void
tracked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(PageCall) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autofree char *state = NULL;
  const char *tracking;
  gsize length;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  /* An unknown token is SQL NULL: not_found. */
  tracking = dsd_api_query_value (rows, &length, &error);
  if (tracking != NULL &&
      !dsd_tracking_expiry_check (tracking, length,
                                  dsd_clock_get_real_us (dsd_context_get_clock (call->context)),
                                  dsd_context_get_config (call->context)->tracking_expiry_s,
                                  &error))
    {
      state = initial_state (call->token, "expired", NULL);
      respond_page (call->request, 410, state);
    }
  else if (tracking != NULL)
    {
      state = initial_state (call->token, NULL, tracking);
      respond_page (call->request, 200, state);
    }
  else if (g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND))
    {
      state = initial_state (call->token, "not_found", NULL);
      respond_page (call->request, 404, state);
    }
  else
    {
      g_message ("Tracking page unavailable: %s", error->message);
      state = initial_state (call->token, "unavailable", NULL);
      dsd_request_set_retry_after (call->request, 5);
      respond_page (call->request, 503, state);
    }
}

static void
page_cb (DsdRequest *request,
         gpointer    user_data)
{
  DsdTrackingPage *self = user_data;
  PageCall *call = g_new0 (PageCall, 1);

  call->request = dsd_request_ref (request);
  call->context = self->context;
  call->token = g_strdup (dsd_request_get_param (request, "token"));
  dsd_pg_pool_query_async (dsd_context_get (self->context, DSD_TYPE_PG_POOL), public_sql, 1,
                           (const char * const[]) { call->token }, NULL, tracked_cb, call);
}

static const char *
lookup_content_type (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (content_types); i++)
    {
      if (g_str_has_suffix (name, content_types[i].suffix))
        return content_types[i].content_type;
    }

  return NULL;
}

static void
respond_asset (DsdRequest *request,
               const char *path)
{
  const char *content_type = lookup_content_type (path);
  g_autoptr(GBytes) asset = NULL;

  if (content_type != NULL)
    asset = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (asset == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND,
                                                     "not found");

      dsd_request_respond_error (request, error);
      return;
    }

  set_header (request, "Cache-Control", ASSET_CACHE_CONTROL);
  set_header (request, "X-Content-Type-Options", "nosniff");
  dsd_request_respond_bytes (request, 200, content_type, asset);
}

static void
asset_cb (DsdRequest *request,
          gpointer    user_data)
{
  g_autofree char *path = g_strconcat (RESOURCE_DIR, dsd_request_get_param (request, "name"),
                                       NULL);

  respond_asset (request, path);
}

static void
image_cb (DsdRequest *request,
          gpointer    user_data)
{
  g_autofree char *path = g_strconcat (RESOURCE_DIR "images/",
                                       dsd_request_get_param (request, "name"), NULL);

  respond_asset (request, path);
}

static void
dsd_tracking_page_dispose (GObject *object)
{
  DsdTrackingPage *self = DSD_TRACKING_PAGE (object);

  g_clear_object (&self->context);

  G_OBJECT_CLASS (dsd_tracking_page_parent_class)->dispose (object);
}

static void
dsd_tracking_page_class_init (DsdTrackingPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dsd_tracking_page_dispose;
}

static void
dsd_tracking_page_init (DsdTrackingPage *self)
{
}

DsdTrackingPage *
dsd_tracking_page_new (DsdContext *context)
{
  DsdTrackingPage *self;

  g_return_val_if_fail (DSD_IS_CONTEXT (context), NULL);

  self = g_object_new (DSD_TYPE_TRACKING_PAGE, NULL);
  self->context = g_object_ref (context);

  return self;
}

void
dsd_tracking_page_register (DsdTrackingPage *self,
                            DsdRouter       *router)
{
  g_return_if_fail (DSD_IS_TRACKING_PAGE (self));

  dsd_router_add (router, "GET", "/track/{token}", 0, page_cb, self);
  dsd_router_add (router, "GET", "/track/assets/{name}", 0, asset_cb, self);
  dsd_router_add (router, "GET", "/track/assets/images/{name}", 0, image_cb, self);
}
