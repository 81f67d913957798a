/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include <math.h>

#include "dispatch-json.h"
#include "dsim-demand.h"

/* Share of pickups at a hot spot; the rest are anywhere in the city. */
#define HOTSPOT_SHARE 0.8
#define HOTSPOT_RADIUS_BLOCKS 1
/* How far dropoffs lie from pickups, along each axis. */
#define DROPOFF_RADIUS_M 2000.0
#define URGENT_SHARE 0.05
/* Orders with a ready time and a window (dsim-demand.h), in simulated seconds */
#define SCHEDULED_SHARE 0.2
#define READY_MIN_S 300.0
#define READY_MAX_S 1500.0
#define SCHEDULED_MIN_S 2700.0
#define SCHEDULED_MAX_S 5400.0
#define WINDOW_FROM_S 600.0
#define WINDOW_TO_S 2400.0

typedef struct {
  DsimNode           centre;
  const DsimKitchen *kitchen;
  double             weight;
} Hotspot;

struct _DsimDemand {
  const DsimGrid *grid;
  GRand          *rng;
  double          rate_per_s;
  double          window_share;
  guint           n_customers;
  GArray         *hotspots;       /* of Hotspot */
  double          total_weight;
  double          next_at_s;
  guint           seq;
};

static double
exponential_gap (DsimDemand *self)
{
  /* 1 - U is in (0, 1], so the logarithm is finite. */
  return -log (1.0 - g_rand_double (self->rng)) / self->rate_per_s;
}

DsimDemand *
dsim_demand_new (const DsimGrid    *grid,
                 const DsimOptions *options)
{
  DsimDemand *self = g_new0 (DsimDemand, 1);
  guint32 seed[] = { options->seed, 0, 0x0de3a2d };

  self->grid = grid;
  self->rng = g_rand_new_with_seed_array (seed, G_N_ELEMENTS (seed));
  self->rate_per_s = options->order_rate_per_min / 60.0;
  self->window_share = options->window_share;
  self->n_customers = options->n_customers;
  self->hotspots = g_array_new (FALSE, FALSE, sizeof (Hotspot));

  for (guint i = 0; i < options->n_hotspots; i++)
    {
      Hotspot hotspot = {
        .centre = dsim_grid_random_node (grid, self->rng),
        .kitchen = dsim_names_kitchen (self->rng),
        .weight = g_rand_double_range (self->rng, 0.5, 1.5),
      };

      self->total_weight += hotspot.weight;
      g_array_append_val (self->hotspots, hotspot);
    }

  self->next_at_s = self->rate_per_s > 0 ? exponential_gap (self) : INFINITY;

  return self;
}

void
dsim_demand_free (DsimDemand *self)
{
  g_rand_free (self->rng);
  g_array_unref (self->hotspots);
  g_free (self);
}

static const Hotspot *
pick_hotspot (DsimDemand *self)
{
  double x = g_rand_double_range (self->rng, 0, self->total_weight);

  for (guint i = 0; i + 1 < self->hotspots->len; i++)
    {
      const Hotspot *hotspot = &g_array_index (self->hotspots, Hotspot, i);

      if (x < hotspot->weight)
        return hotspot;
      x -= hotspot->weight;
    }

  return &g_array_index (self->hotspots, Hotspot, self->hotspots->len - 1);
}

gboolean
dsim_demand_next (DsimDemand    *self,
                  double         until_s,
                  DsimOrderSpec *out)
{
  int radius = MAX (2, (int) (DROPOFF_RADIUS_M / self->grid->block_m));

  if (self->next_at_s > until_s)
    return FALSE;

  *out = (DsimOrderSpec) { .seq = ++self->seq, .at_s = self->next_at_s };
  self->next_at_s += exponential_gap (self);

  out->customer = g_rand_int_range (self->rng, 0, self->n_customers);
  if (self->hotspots->len > 0 && g_rand_double (self->rng) < HOTSPOT_SHARE)
    {
      const Hotspot *hotspot = pick_hotspot (self);

      out->pickup = dsim_grid_random_nearby (self->grid, hotspot->centre,
                                             HOTSPOT_RADIUS_BLOCKS, self->rng);
      out->kitchen = hotspot->kitchen;
    }
  else
    {
      out->pickup = dsim_grid_random_node (self->grid, self->rng);
      out->kitchen = dsim_names_kitchen (self->rng);
    }

  /* A few tries for a dropoff that is not the pickup (tiny grids may have none). */
  for (guint i = 0; i < 4; i++)
    {
      out->dropoff = dsim_grid_random_nearby (self->grid, out->pickup, radius, self->rng);
      if (out->dropoff.row != out->pickup.row || out->dropoff.col != out->pickup.col)
        break;
    }

  out->quantity = g_rand_int_range (self->rng, 1, 4);
  out->priority = g_rand_double (self->rng) < URGENT_SHARE ? 5 : 0;
  out->dropoff_address = g_strdup_printf ("%s %d",
                                          dsim_names_pick (DSIM_NAMES_STREET, self->rng),
                                          g_rand_int_range (self->rng, 1, 120));
  out->contact_name = dsim_names_person (self->rng);

  /* No draws without windows: the runs of a seed stay what they were. */
  if (self->window_share > 0 && g_rand_double (self->rng) < self->window_share)
    {
      out->ready_in_s = g_rand_double (self->rng) < SCHEDULED_SHARE
                        ? g_rand_double_range (self->rng, SCHEDULED_MIN_S, SCHEDULED_MAX_S)
                        : g_rand_double_range (self->rng, READY_MIN_S, READY_MAX_S);
      out->window_from_s = out->ready_in_s + WINDOW_FROM_S;
      out->window_to_s = out->ready_in_s + WINDOW_TO_S;
    }

  return TRUE;
}

void
dsim_order_spec_clear (DsimOrderSpec *spec)
{
  g_clear_pointer (&spec->dropoff_address, g_free);
  g_clear_pointer (&spec->contact_name, g_free);
}

static void
add_place (JsonBuilder    *builder,
           const char     *member,
           DispatchLatLon  position,
           const char     *address)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "lat");
  json_builder_add_double_value (builder, position.lat);
  json_builder_set_member_name (builder, "lon");
  json_builder_add_double_value (builder, position.lon);
  json_builder_set_member_name (builder, "address");
  json_builder_add_string_value (builder, address);
  json_builder_end_object (builder);
}

static void
add_time (JsonBuilder *builder,
          const char  *member,
          gint64       now_us,
          double       wall_s)
{
  g_autofree char *text = dispatch_format_timestamp (now_us + (gint64) (wall_s * G_USEC_PER_SEC));

  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, text);
}

JsonNode *
dsim_order_spec_to_json (const DsimOrderSpec *spec,
                         const DsimGrid      *grid,
                         gint64               now_us,
                         double               wall_per_sim_s)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_place (builder, "pickup", dsim_grid_position (grid, spec->pickup), spec->kitchen->name);
  add_place (builder, "dropoff", dsim_grid_position (grid, spec->dropoff),
             spec->dropoff_address);

  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sku");
  json_builder_add_string_value (builder, spec->kitchen->sku);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, spec->kitchen->item);
  json_builder_set_member_name (builder, "quantity");
  json_builder_add_int_value (builder, spec->quantity);
  json_builder_set_member_name (builder, "price_cents");
  json_builder_add_int_value (builder, spec->kitchen->price_cents);
  json_builder_end_object (builder);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "contact");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, spec->contact_name);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "priority");
  json_builder_add_int_value (builder, spec->priority);

  if (spec->ready_in_s > 0)
    {
      add_time (builder, "ready_at", now_us, spec->ready_in_s * wall_per_sim_s);
      add_time (builder, "deliver_after", now_us, spec->window_from_s * wall_per_sim_s);
      add_time (builder, "deliver_before", now_us, spec->window_to_s * wall_per_sim_s);
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
