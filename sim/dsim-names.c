/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include "dsim-names.h"

static const char * const first_names[] = {
  "Anna", "Ben", "Clara", "David", "Elif", "Finn", "Greta", "Hamza", "Ida", "Jonas", "Kemal",
  "Lena", "Mia", "Noah", "Olga", "Paul", "Rosa", "Samir", "Tara", "Umut", "Vera", "Yusuf",
  "Zoe", "Leon", "Marie", "Emil", "Hanna", "Luca", "Nora", "Piotr",
};

static const char * const last_names[] = {
  "Schmidt", "Nowak", "Yilmaz", "Becker", "Hoffmann", "Kowalski", "Fischer", "Demir",
  "Wagner", "Neumann", "Schulz", "Krüger", "Petrov", "Weber", "Lange", "Arslan",
};

static const char * const streets[] = {
  "Lindenweg", "Gartenstraße", "Brunnenhof", "Am Kanal", "Uferstraße", "Kastanienallee",
  "Mühlenweg", "Schulstraße", "Marktgasse", "Parkstraße", "Birkenhof", "Hafenzeile",
};

static const DsimKitchen kitchens[] = {
  { "Pho Lotus", "pho-bo", "Pho bo", 1290 },
  { "Pizza Stella", "margherita", "Margherita", 990 },
  { "Curry Corner", "green-curry", "Green curry", 1150 },
  { "Falafel Garden", "falafel-plate", "Falafel plate", 890 },
  { "Burger Werk", "cheeseburger", "Cheeseburger", 1090 },
  { "Sushi Kaze", "maki-set", "Maki set", 1490 },
  { "Pasta Nonna", "tagliatelle", "Tagliatelle", 1190 },
  { "Taco Sol", "tacos", "Tacos", 950 },
  { "Bäckerei Korn", "bread-basket", "Bread basket", 690 },
  { "Apotheke am Markt", "prescription", "Prescription", 0 },
  { "Blumen Wild", "bouquet", "Bouquet", 2490 },
};

static const struct {
  const char * const *names;
  guint               n_names;
} lists[] = {
  [DSIM_NAMES_FIRST] = { first_names, G_N_ELEMENTS (first_names) },
  [DSIM_NAMES_LAST] = { last_names, G_N_ELEMENTS (last_names) },
  [DSIM_NAMES_STREET] = { streets, G_N_ELEMENTS (streets) },
};

const char *
dsim_names_pick (DsimNames  list,
                 GRand     *rng)
{
  g_return_val_if_fail (list < G_N_ELEMENTS (lists), NULL);

  return lists[list].names[g_rand_int_range (rng, 0, lists[list].n_names)];
}

char *
dsim_names_person (GRand *rng)
{
  const char *first = dsim_names_pick (DSIM_NAMES_FIRST, rng);

  return g_strdup_printf ("%s %s", first, dsim_names_pick (DSIM_NAMES_LAST, rng));
}

const DsimKitchen *
dsim_names_kitchen (GRand *rng)
{
  return &kitchens[g_rand_int_range (rng, 0, G_N_ELEMENTS (kitchens))];
}
