/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include <string.h>

#include "dsd-location-batch.h"

#define N_COLUMNS 7
/* PostgreSQL's epoch, 2000-01-01 00:00:00 UTC, in Unix microseconds. */
#define PG_EPOCH_US G_GINT64_CONSTANT (946684800000000)

/* Signature, flags (no OIDs), header extension length (none). */
static const guint8 copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0";
static const guint8 copy_trailer[2] = { 0xff, 0xff };

struct _DsdLocationBatch {
  GByteArray *copy;
  GBytes     *sealed;
  guint       n_points;
};

/* One row of binary COPY: the number of columns, then each field's length
 * and value in network order; absent is length -1. At most 94 bytes. */
typedef struct {
  guint8 data[2 + (4 + 16) + (4 + 8) * 6];
  guint  len;
} Row;

static void
put_be (Row     *row,
        guint64  value,
        guint    size)
{
  for (guint i = 0; i < size; i++)
    row->data[row->len++] = value >> (8 * (size - 1 - i));
}

static void
put_int64_field (Row    *row,
                 gint64  value)
{
  put_be (row, sizeof value, 4);
  put_be (row, (guint64) value, 8);
}

/* float8 travels as its IEEE 754 bits in network order; absent is NULL (-1). */
static void
put_double_field (Row      *row,
                  gboolean  present,
                  double    value)
{
  guint64 bits;

  if (!present)
    {
      put_be (row, (guint32) -1, 4);
      return;
    }

  memcpy (&bits, &value, sizeof bits);
  put_int64_field (row, (gint64) bits);
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

  return self;
}

void
dsd_location_batch_free (DsdLocationBatch *self)
{
  g_clear_pointer (&self->copy, g_byte_array_unref);
  g_clear_pointer (&self->sealed, g_bytes_unref);
  g_free (self);
}

void
dsd_location_batch_add (DsdLocationBatch            *self,
                        const char                  *driver_id,
                        const DispatchLocationPoint *points,
                        guint                        n_points)
{
  guint8 uuid[16];

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->sealed == NULL);
  g_return_if_fail (driver_id != NULL);
  g_return_if_fail (n_points == 0 || points != NULL);

  parse_uuid (driver_id, uuid);

  for (guint i = 0; i < n_points; i++)
    {
      const DispatchLocationPoint *point = &points[i];
      Row row = { .len = 0 };

      put_be (&row, N_COLUMNS, 2);
      put_be (&row, sizeof uuid, 4);
      memcpy (row.data + row.len, uuid, sizeof uuid);
      row.len += sizeof uuid;
      put_int64_field (&row, point->recorded_at_us - PG_EPOCH_US);
      put_double_field (&row, TRUE, point->lat);
      put_double_field (&row, TRUE, point->lon);
      put_double_field (&row, point->flags & DISPATCH_LOCATION_HAS_HEADING, point->heading);
      put_double_field (&row, point->flags & DISPATCH_LOCATION_HAS_SPEED, point->speed_mps);
      put_double_field (&row, point->flags & DISPATCH_LOCATION_HAS_ACCURACY, point->accuracy_m);
      g_byte_array_append (self->copy, row.data, row.len);
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
      g_byte_array_append (self->copy, copy_trailer, sizeof copy_trailer);
      self->sealed = g_byte_array_free_to_bytes (g_steal_pointer (&self->copy));
    }

  return self->sealed;
}
