/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include <string.h>

#include "dispatch-json.h"
#include "dsd-location-batch.h"
#include "dsd-sql-array.h"

#define N_COLUMNS 7
#define N_POSITION_PARAMS 7
/* PostgreSQL's epoch, 2000-01-01 00:00:00 UTC, in Unix microseconds. */
#define PG_EPOCH_US G_GINT64_CONSTANT (946684800000000)

/* Signature, flags (no OIDs), header extension length (none). */
static const guint8 copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0";
static const gint16 copy_trailer = -1;

struct _DsdLocationBatch {
  GByteArray *copy;
  GBytes     *sealed;
  /* driver id → its newest DispatchLocationPoint in the batch */
  GHashTable *newest;
  guint       n_points;
};

static void
put_int16 (GByteArray *out,
           gint16      value)
{
  guint16 be = GUINT16_TO_BE ((guint16) value);

  g_byte_array_append (out, (const guint8 *) &be, sizeof be);
}

static void
put_int32 (GByteArray *out,
           gint32      value)
{
  guint32 be = GUINT32_TO_BE ((guint32) value);

  g_byte_array_append (out, (const guint8 *) &be, sizeof be);
}

static void
put_int64_field (GByteArray *out,
                 gint64      value)
{
  guint64 be = GUINT64_TO_BE ((guint64) value);

  put_int32 (out, sizeof be);
  g_byte_array_append (out, (const guint8 *) &be, sizeof be);
}

/* float8 travels as its IEEE 754 bits in network order; absent is NULL (-1). */
static void
put_double_field (GByteArray *out,
                  gboolean    present,
                  double      value)
{
  guint64 bits;

  if (!present)
    {
      put_int32 (out, -1);
      return;
    }

  memcpy (&bits, &value, sizeof bits);
  put_int64_field (out, (gint64) bits);
}

static void
parse_uuid (const char *text,
            guint8      out[16])
{
  guint n = 0;

  g_assert (g_uuid_string_is_valid (text));

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '-')
        continue;
      if (n % 2 == 0)
        out[n / 2] = g_ascii_xdigit_value (*p) << 4;
      else
        out[n / 2] |= g_ascii_xdigit_value (*p);
      n++;
    }
}

DsdLocationBatch *
dsd_location_batch_new (void)
{
  DsdLocationBatch *self = g_new0 (DsdLocationBatch, 1);

  self->copy = g_byte_array_new ();
  g_byte_array_append (self->copy, copy_header, sizeof copy_header);
  self->newest = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  return self;
}

void
dsd_location_batch_free (DsdLocationBatch *self)
{
  g_clear_pointer (&self->copy, g_byte_array_unref);
  g_clear_pointer (&self->sealed, g_bytes_unref);
  g_clear_pointer (&self->newest, g_hash_table_unref);
  g_free (self);
}

void
dsd_location_batch_add (DsdLocationBatch            *self,
                        const char                  *driver_id,
                        const DispatchLocationPoint *points,
                        guint                        n_points)
{
  DispatchLocationPoint *newest;
  guint8 uuid[16];

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->sealed == NULL);
  g_return_if_fail (driver_id != NULL);
  g_return_if_fail (n_points == 0 || points != NULL);

  parse_uuid (driver_id, uuid);
  newest = g_hash_table_lookup (self->newest, driver_id);

  for (guint i = 0; i < n_points; i++)
    {
      const DispatchLocationPoint *point = &points[i];

      put_int16 (self->copy, N_COLUMNS);
      put_int32 (self->copy, sizeof uuid);
      g_byte_array_append (self->copy, uuid, sizeof uuid);
      put_int64_field (self->copy, point->recorded_at_us - PG_EPOCH_US);
      put_double_field (self->copy, TRUE, point->lat);
      put_double_field (self->copy, TRUE, point->lon);
      put_double_field (self->copy, point->flags & DISPATCH_LOCATION_HAS_HEADING,
                        point->heading);
      put_double_field (self->copy, point->flags & DISPATCH_LOCATION_HAS_SPEED,
                        point->speed_mps);
      put_double_field (self->copy, point->flags & DISPATCH_LOCATION_HAS_ACCURACY,
                        point->accuracy_m);

      if (newest == NULL)
        {
          newest = g_memdup2 (point, sizeof *point);
          g_hash_table_insert (self->newest, (gpointer) driver_id, newest);
        }
      else if (point->recorded_at_us > newest->recorded_at_us)
        *newest = *point;
    }

  self->n_points += n_points;
}

guint
dsd_location_batch_get_n_points (DsdLocationBatch *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_points;
}

GBytes *
dsd_location_batch_seal (DsdLocationBatch *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->sealed == NULL)
    {
      put_int16 (self->copy, copy_trailer);
      self->sealed = g_byte_array_free_to_bytes (g_steal_pointer (&self->copy));
    }

  return self->sealed;
}

GStrv
dsd_location_batch_position_params (DsdLocationBatch *self)
{
  GString *arrays[N_POSITION_PARAMS];
  GStrv params = g_new0 (char *, N_POSITION_PARAMS + 1);
  GHashTableIter iter;
  gpointer id, value;

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < N_POSITION_PARAMS; i++)
    arrays[i] = g_string_new (NULL);

  g_hash_table_iter_init (&iter, self->newest);
  while (g_hash_table_iter_next (&iter, &id, &value))
    {
      const DispatchLocationPoint *point = value;
      g_autofree char *recorded_at = dispatch_format_timestamp (point->recorded_at_us);

      dsd_sql_array_append (arrays[0], id);
      dsd_sql_array_append (arrays[1], recorded_at);
      dsd_sql_array_append_double (arrays[2], TRUE, point->lat);
      dsd_sql_array_append_double (arrays[3], TRUE, point->lon);
      dsd_sql_array_append_double (arrays[4], point->flags & DISPATCH_LOCATION_HAS_HEADING,
                                   point->heading);
      dsd_sql_array_append_double (arrays[5], point->flags & DISPATCH_LOCATION_HAS_SPEED,
                                   point->speed_mps);
      dsd_sql_array_append_double (arrays[6], point->flags & DISPATCH_LOCATION_HAS_ACCURACY,
                                   point->accuracy_m);
    }

  for (guint i = 0; i < N_POSITION_PARAMS; i++)
    params[i] = dsd_sql_array_free_to_text (arrays[i]);

  return params;
}
