/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dsd-api.h"
#include "dsd-cache.h"

/*
 * DISPATCH_CLIENT_RATE_LIMIT: requests per client address per minute, and
 * DISPATCH_CLIENT_MAX_STREAMS: websocket streams a client address holds open
 * at once, both counted in the shared cache (so on all instances together
 * with REDIS_URL). The operations endpoints are not counted: probes must
 * always get through.
 */

#define STREAMS_RETRY_AFTER_S 5

typedef struct {
  DsdContext *context;
  DsdLimit    limit;         /* limit 0: none */
  guint       max_streams;   /* 0: none */
} ClientLimit;

/* A request on its way through the limits. */
typedef struct {
  ClientLimit *client_limit;
  DsdRequest  *request;
} Admission;

/* A stream slot held for a client until its stream ends. */
typedef struct {
  DsdCache *cache;
  char     *key;
} StreamSlot;

static DsdCache *
cache_of (ClientLimit *client_limit)
{
  return dsd_context_get (client_limit->context, DSD_TYPE_CACHE);
}

static void
admission_free (Admission *admission)
{
  dsd_request_unref (admission->request);
  g_free (admission);
}

static void
refuse (DsdRequest *request,
        const char *message,
        guint       retry_after_s)
{
  g_autoptr(GError) error = NULL;

  g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_RATE_LIMITED, message);
  dsd_request_set_retry_after (request, retry_after_s);
  dsd_request_respond_error (request, error);
}

static void
stream_slot_release (gpointer data)
{
  StreamSlot *slot = data;

  dsd_cache_slot_release (slot->cache, slot->key);
  g_object_unref (slot->cache);
  g_free (slot->key);
  g_free (slot);
}

static char *
stream_key (DsdRequest *request)
{
  return g_strconcat ("streams:", dsd_request_get_peer (request), NULL);
}

static void
slot_taken_cb (gboolean taken,
               gpointer user_data)
{
  Admission *admission = user_data;
  StreamSlot *slot;

  if (taken)
    {
      slot = g_new0 (StreamSlot, 1);
      slot->cache = g_object_ref (cache_of (admission->client_limit));
      slot->key = stream_key (admission->request);
      dsd_request_on_stream_end (admission->request, stream_slot_release, slot);
      dsd_http_server_admit (admission->request);
    }
  else
    refuse (admission->request, "too many open streams from this client, close one first",
            STREAMS_RETRY_AFTER_S);

  admission_free (admission);
}

/* Within the request rate: a websocket request takes a stream slot. */
static void
take_stream_slot (Admission *admission)
{
  ClientLimit *client_limit = admission->client_limit;
  g_autofree char *key = NULL;

  if (client_limit->max_streams == 0 || !dsd_request_is_websocket (admission->request))
    {
      dsd_http_server_admit (admission->request);
      admission_free (admission);
      return;
    }

  key = stream_key (admission->request);
  dsd_cache_slot_take (cache_of (client_limit), key, client_limit->max_streams, slot_taken_cb,
                       admission);
}

static void
counted_cb (gboolean allowed,
            guint    retry_after_s,
            gpointer user_data)
{
  Admission *admission = user_data;

  if (allowed)
    take_stream_slot (admission);
  else
    {
      refuse (admission->request, "too many requests from this client, try again later",
              retry_after_s);
      admission_free (admission);
    }
}

static void
admission_cb (DsdRequest *request,
              gpointer    user_data)
{
  ClientLimit *client_limit = user_data;
  const char * const exempt[] = { "/healthz", "/readyz", "/metrics", NULL };
  const char *peer = dsd_request_get_peer (request);
  Admission *admission;

  if (peer == NULL || g_strv_contains (exempt, dsd_request_get_route (request)))
    {
      dsd_http_server_admit (request);
      return;
    }

  admission = g_new0 (Admission, 1);
  admission->client_limit = client_limit;
  admission->request = dsd_request_ref (request);
  if (client_limit->limit.limit == 0)
    take_stream_slot (admission);
  else
    dsd_cache_limit_hit (cache_of (client_limit), &client_limit->limit, peer, TRUE, counted_cb,
                         admission);
}

void
dsd_api_limit_clients (DsdHttpServer *http,
                       DsdContext    *context)
{
  const DsdConfig *config = dsd_context_get_config (context);
  ClientLimit *client_limit;

  if (config->client_rate_limit == 0 && config->client_max_streams == 0)
    return;

  client_limit = g_new0 (ClientLimit, 1);
  client_limit->context = context;
  client_limit->limit = (DsdLimit) { "requests", config->client_rate_limit, 60 };
  client_limit->max_streams = config->client_max_streams;
  g_object_set_data_full (G_OBJECT (http), "dsd-api-client-limit", client_limit,
                          g_free);
  dsd_http_server_set_admission (http, admission_cb, client_limit);
}
