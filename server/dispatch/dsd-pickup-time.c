/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dsd-pickup-time.h"

gint64
dsd_pickup_time_open_at_us (gint64 pickup_at_us,
                            guint  lead_s)
{
  if (pickup_at_us <= 0)
    return 0;

  return pickup_at_us - (gint64) lead_s * G_USEC_PER_SEC;
}

gboolean
dsd_pickup_time_is_open (gint64 pickup_at_us,
                         gint64 now_us,
                         guint  lead_s)
{
  return now_us >= dsd_pickup_time_open_at_us (pickup_at_us, lead_s);
}

gboolean
dsd_pickup_time_allows (gint64 pickup_at_us,
                        gint64 now_us,
                        double eta_s,
                        guint  max_wait_s)
{
  double wait_s;

  if (pickup_at_us <= 0)
    return TRUE;

  wait_s = (pickup_at_us - now_us) / (double) G_USEC_PER_SEC - eta_s;
  return wait_s <= max_wait_s;
}
