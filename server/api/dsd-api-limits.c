/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dsd-api.h"
#include "dsd-cache.h"

/*
 * DISPATCH_CLIENT_RATE_LIMIT: requests per client address per minute, counted
 * in the shared cache (so on all instances together with REDIS_URL). The
 * operations endpoints are not counted: probes must always get through.
 */

typedef struct {
  DsdContext *context;
  DsdLimit    limit;
} ClientLimit;

static void
counted_cb (gboolean allowed,
            guint    retry_after_s,
            gpointer user_data)
{
  DsdRequest *request = user_data;
  g_autoptr(GError) error = NULL;

  if (allowed)
    dsd_http_server_admit (request);
  else
    {
      g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_RATE_LIMITED,
                           "too many requests from this client, try again later");
      dsd_request_set_retry_after (request, retry_after_s);
      dsd_request_respond_error (request, error);
    }

  dsd_request_unref (request);
}

static void
admission_cb (DsdRequest *request,
              gpointer    user_data)
{
  ClientLimit *client_limit = user_data;
  const char * const exempt[] = { "/healthz", "/readyz", "/metrics", NULL };
  const char *peer = dsd_request_get_peer (request);

  if (peer == NULL || g_strv_contains (exempt, dsd_request_get_route (request)))
    {
      dsd_http_server_admit (request);
      return;
    }

  dsd_cache_limit_hit (dsd_context_get (client_limit->context, DSD_TYPE_CACHE),
                       &client_limit->limit, peer, TRUE, counted_cb, dsd_request_ref (request));
}

void
dsd_api_limit_clients (DsdHttpServer *http,
                       DsdContext    *context)
{
  guint per_minute = dsd_context_get_config (context)->client_rate_limit;
  ClientLimit *client_limit;

  if (per_minute == 0)
    return;

  client_limit = g_new0 (ClientLimit, 1);
  client_limit->context = context;
  client_limit->limit = (DsdLimit) { "requests", per_minute, 60 };
  g_object_set_data_full (G_OBJECT (http), "dsd-api-client-limit", client_limit, g_free);
  dsd_http_server_set_admission (http, admission_cb, client_limit);
}
