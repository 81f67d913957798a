/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include <string.h>

#include "dispatch-image.h"
#include "dispatch-limits.h"
#include "dsd-api.h"
#include "dsd-pg-pool.h"

/* Proof of delivery (data/sql/functions/13-proof.sql): what an order
 * requires, the driver's PIN entry, photo and signature uploads, and reading
 * them back. */

static const char proof_sql[] =
  "SELECT dispatch.order_proof($1::jsonb, $2)::text";
static const char pin_sql[] =
  "SELECT dispatch.proof_pin_verify($1::jsonb, $2, $3)::text";
static const char image_put_sql[] =
  "SELECT dispatch.proof_image_put($1::jsonb, $2, $3, $4, $5::int, $6::int, $7)::text";
static const char image_get_sql[] =
  "SELECT content_type, data FROM dispatch.proof_image_get($1::jsonb, $2, $3)";

static const char * const proofs[] = { "pin", "photo", "signature" };

gboolean
dsd_api_read_proof_spec (JsonObject   *body,
                         DsdConfig    *config,
                         JsonBuilder  *builder,
                         GError      **error)
{
  JsonObject *spec = NULL;

  if (!dispatch_json_get_object (body, NULL, "proof", DISPATCH_JSON_NULLABLE, &spec, error))
    return FALSE;

  json_builder_set_member_name (builder, "proof");
  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (proofs); i++)
    {
      gboolean required = dsd_config_requires_proof (config, proofs[i]);

      if (spec != NULL &&
          !dispatch_json_get_boolean (spec, "proof", proofs[i], DISPATCH_JSON_OPTIONAL,
                                      &required, error))
        return FALSE;
      if (spec != NULL && !json_object_has_member (spec, proofs[i]))
        required = FALSE;   /* an order that names its proof names all of it */

      json_builder_set_member_name (builder, proofs[i]);
      json_builder_add_boolean_value (builder, required);
    }
  json_builder_end_object (builder);

  return TRUE;
}

static void
get_proof_cb (DsdRequest *request,
              gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, user_data, 200, proof_sql, 2,
                         (const char * const[]) { actor, dsd_request_get_param (request, "id") });
}

/* A wrong PIN is committed (the attempt counts), so it comes back as a proof
 * view with "pin_verified": false and is answered 422 here. */
static void
pin_verified_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(DsdRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(JsonObject) view = NULL;
  const char *text;
  gsize length = 0;
  gint64 left;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  text = dsd_api_query_value (rows, &length, &error);
  if (text != NULL)
    view = dispatch_json_parse_object (text, length, &error);
  if (view == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  if (json_object_get_boolean_member (view, "pin_verified"))
    {
      dsd_request_respond_json_text (request, 200, text, length);
      return;
    }

  left = json_object_get_int_member (view, "pin_attempts_left");
  if (left > 0)
    dispatch_set_field_error (&error, DISPATCH_ERROR_UNPROCESSABLE, "pin",
                              "wrong PIN: %" G_GINT64_FORMAT " attempt%s left",
                              left, left == 1 ? "" : "s");
  else
    dispatch_set_field_error (&error, DISPATCH_ERROR_UNPROCESSABLE, "pin",
                              "wrong PIN: it is now locked, a dispatcher must settle "
                              "this delivery");
  dsd_request_respond_error (request, error);
}

static void
post_pin_cb (DsdRequest *request,
             gpointer    user_data)
{
  DsdContext *context = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  const char *pin = NULL;
  JsonObject *body;

  body = dsd_request_get_json_object (request, &error);
  if (body == NULL ||
      !dispatch_json_get_string (body, NULL, "pin", DISPATCH_JSON_REQUIRED,
                                 DISPATCH_PROOF_PIN_LENGTH, &pin, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  if (strlen (pin) != DISPATCH_PROOF_PIN_LENGTH || strspn (pin, "0123456789") != strlen (pin))
    {
      dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "pin",
                                "pin must be %d digits", DISPATCH_PROOF_PIN_LENGTH);
      dsd_request_respond_error (request, error);
      return;
    }

  dsd_pg_pool_write_async (dsd_context_get (context, DSD_TYPE_PG_POOL), pin_sql, 3,
                           (const char * const[]) {
                             actor, dsd_request_get_param (request, "id"), pin
                           },
                           NULL, pin_verified_cb, dsd_request_ref (request));
}

/* "photo" or "signature": the routes end in the kind. */
static const char *
image_kind (DsdRequest *request)
{
  return strrchr (dsd_request_get_route (request), '/') + 1;
}

/* The body of an upload, checked: declared as an image (or bytes), within
 * the size limit, and by its own bytes a JPEG or PNG of allowed size. */
static GBytes *
read_image (DsdRequest         *request,
            DispatchImageInfo  *info,
            GError            **error)
{
  SoupMessageHeaders *headers = dsd_request_get_headers (request);
  const char *type = soup_message_headers_get_content_type (headers, NULL);
  GBytes *body = dsd_request_get_body (request);
  gsize size = g_bytes_get_size (body);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_NONE)
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_LENGTH_REQUIRED,
                           "an image body with Content-Length is required");
      return NULL;
    }

  if (type == NULL ||
      (g_ascii_strcasecmp (type, "image/jpeg") != 0 &&
       g_ascii_strcasecmp (type, "image/png") != 0 &&
       g_ascii_strcasecmp (type, "application/octet-stream") != 0))
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_UNSUPPORTED_MEDIA_TYPE,
                           "Content-Type must be image/jpeg, image/png or "
                           "application/octet-stream");
      return NULL;
    }

  if (size > DISPATCH_PROOF_IMAGE_MAX_BYTES)
    {
      g_set_error (error, DISPATCH_ERROR, DISPATCH_ERROR_PAYLOAD_TOO_LARGE,
                   "an image may have at most %d bytes", DISPATCH_PROOF_IMAGE_MAX_BYTES);
      return NULL;
    }

  if (!dispatch_image_sniff (g_bytes_get_data (body, NULL), size, info, error))
    return NULL;

  if (info->width > DISPATCH_PROOF_IMAGE_MAX_DIMENSION ||
      info->height > DISPATCH_PROOF_IMAGE_MAX_DIMENSION)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_UNPROCESSABLE, NULL,
                                "an image may be at most %d pixels wide and high",
                                DISPATCH_PROOF_IMAGE_MAX_DIMENSION);
      return NULL;
    }

  return body;
}

static char *
hex_encode (GBytes *bytes)
{
  static const char digits[] = "0123456789abcdef";
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  char *hex = g_malloc (2 * size + 1);

  for (gsize i = 0; i < size; i++)
    {
      hex[2 * i] = digits[data[i] >> 4];
      hex[2 * i + 1] = digits[data[i] & 0xf];
    }
  hex[2 * size] = '\0';

  return hex;
}

static void
put_image_cb (DsdRequest *request,
              gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  g_autofree char *hex = NULL;
  g_autofree char *width = NULL;
  g_autofree char *height = NULL;
  DispatchImageInfo info;
  GBytes *body;

  body = read_image (request, &info, &error);
  if (body == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  hex = hex_encode (body);
  width = g_strdup_printf ("%u", info.width);
  height = g_strdup_printf ("%u", info.height);
  dsd_api_respond_query (request, user_data, 200, image_put_sql, 7,
                         (const char * const[]) {
                           actor, dsd_request_get_param (request, "id"), image_kind (request),
                           dispatch_image_type_mime (info.type), width, height, hex
                         });
}

static void
image_read_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(DsdRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GBytes) image = NULL;
  const char *hex;
  gsize size;
  guint8 *data;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows != NULL && (PQntuples (rows) != 1 || PQnfields (rows) != 2))
    g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL, "internal error");
  if (error != NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  hex = PQgetvalue (rows, 0, 1);
  size = PQgetlength (rows, 0, 1) / 2;
  data = g_malloc (size);
  for (gsize i = 0; i < size; i++)
    data[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]);
  image = g_bytes_new_take (data, size);

  /* Only what the bytes are, never rendered as anything else, never cached
   * by anyone but the caller. */
  dsd_request_set_response_header (request, "X-Content-Type-Options", "nosniff");
  dsd_request_set_response_header (request, "Cache-Control", "private, no-store");
  dsd_request_set_response_header (request, "Content-Security-Policy", "sandbox");
  dsd_request_respond_bytes (request, 200, PQgetvalue (rows, 0, 0), image);
}

static void
get_image_cb (DsdRequest *request,
              gpointer    user_data)
{
  DsdContext *context = user_data;
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_pg_pool_query_async (dsd_context_get (context, DSD_TYPE_PG_POOL), image_get_sql, 3,
                           (const char * const[]) {
                             actor, dsd_request_get_param (request, "id"), image_kind (request)
                           },
                           NULL, image_read_cb, dsd_request_ref (request));
}

void
dsd_api_register_proof (DsdRouter  *router,
                        DsdContext *context)
{
  static const char * const images[] = {
    "/api/v1/orders/{id}/proof/photo",
    "/api/v1/orders/{id}/proof/signature",
  };

  dsd_router_add (router, "GET", "/api/v1/orders/{id}/proof", DSD_ROLES_ANY,
                  get_proof_cb, context);
  dsd_router_add (router, "POST", "/api/v1/orders/{id}/proof/pin", DSD_ROLE_DRIVER,
                  post_pin_cb, context);
  for (guint i = 0; i < G_N_ELEMENTS (images); i++)
    {
      dsd_router_add (router, "PUT", images[i], DSD_ROLE_DRIVER, put_image_cb, context);
      dsd_router_add (router, "GET", images[i], DSD_ROLES_STAFF | DSD_ROLE_CUSTOMER,
                      get_image_cb, context);
    }
}
