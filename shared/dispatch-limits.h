/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The limits of the API's input, each number in this one place. The
 * validators (server/api/, shared/dispatch-location.c, the location scanner)
 * use these names; docs/openapi.json carries the same numbers (maxLength,
 * maximum, maxItems...), which tests/test-limits.c checks against
 * dispatch_limits[]; the CHECK constraints of data/sql/0050-limits.sql are the
 * database's backstop.
 */

/* Text, in characters */
#define DISPATCH_ID_MAX_LENGTH                64   /* customer_id, driver_id, ... */
#define DISPATCH_NAME_MAX_LENGTH              200  /* drivers, items, contacts */
#define DISPATCH_PHONE_MAX_LENGTH             40
#define DISPATCH_EMAIL_MAX_LENGTH             254  /* RFC 5321 path limit */
#define DISPATCH_ADDRESS_MAX_LENGTH           500
#define DISPATCH_NOTES_MAX_LENGTH             2000
#define DISPATCH_REASON_MAX_LENGTH            500  /* cancel, fail, decline */
#define DISPATCH_SKU_MAX_LENGTH               64
#define DISPATCH_USERNAME_MAX_LENGTH          64
#define DISPATCH_PASSWORD_MIN_LENGTH          8
#define DISPATCH_PASSWORD_MAX_LENGTH          256
#define DISPATCH_WEBHOOK_URL_MAX_LENGTH       2048
#define DISPATCH_WEBHOOK_SECRET_MIN_LENGTH    16
#define DISPATCH_WEBHOOK_SECRET_MAX_LENGTH    256
#define DISPATCH_IDEMPOTENCY_KEY_MAX_LENGTH   255
#define DISPATCH_SEARCH_MAX_LENGTH            200  /* GET /orders?q= */

/* Numbers */
#define DISPATCH_PRIORITY_MAX                 9
#define DISPATCH_ITEM_MAX_QUANTITY            100000
#define DISPATCH_ITEM_MAX_PRICE_CENTS         G_GINT64_CONSTANT (100000000000)
#define DISPATCH_STOCK_MAX                    G_GINT64_CONSTANT (1000000000)
#define DISPATCH_DRIVER_MAX_CAPACITY          100
#define DISPATCH_ITEM_MAX_WEIGHT_KG           1000.0     /* per unit */
#define DISPATCH_ITEM_MAX_VOLUME_L            10000.0    /* per unit */
#define DISPATCH_DRIVER_MIN_LOAD_LIMIT        0.001      /* max_weight_kg, max_volume_l */
#define DISPATCH_DRIVER_MAX_WEIGHT_KG         100000.0
#define DISPATCH_DRIVER_MAX_VOLUME_L          100000.0
#define DISPATCH_NEAR_MAX_RADIUS_M            1000000.0
#define DISPATCH_LOCATION_MAX_SPEED_MPS       100.0
#define DISPATCH_LOCATION_MAX_ACCURACY_M      100000.0

/* Times */
#define DISPATCH_ORDER_MAX_AHEAD_S            (30 * 86400)  /* seconds: ready_at, deliver_* */

/* Proof of delivery (docs/openapi.json, "ProofState"; data/sql/0150-proof.sql) */
#define DISPATCH_PROOF_PIN_LENGTH             4        /* decimal digits */
#define DISPATCH_PROOF_PIN_MAX_ATTEMPTS       5        /* wrong ones, then locked */
#define DISPATCH_PROOF_IMAGE_MAX_BYTES        524288   /* a photo or signature, 512 KiB */
#define DISPATCH_PROOF_IMAGE_MAX_DIMENSION    8192     /* pixels, width and height */

/* Arrays */
#define DISPATCH_ORDER_MAX_ITEMS              200
#define DISPATCH_LOCATION_BATCH_MAX_POINTS    1000
#define DISPATCH_WEBHOOK_MAX_EVENTS           16
#define DISPATCH_TEAM_MAX_MEMBERS             1000 /* dispatchers, drivers, zones each */

/* Zones (GeoJSON): polygons of a MultiPolygon, rings of a polygon, and
 * positions of a whole zone (of one ring too; rings are checked pairwise
 * for crossings, so this bounds that work) */
#define DISPATCH_ZONE_MAX_POLYGONS            64
#define DISPATCH_ZONE_MAX_RINGS               64
#define DISPATCH_ZONE_MAX_POSITIONS           4096
#define DISPATCH_ZONE_MAX_PICKUP_KM           1000.0
#define DISPATCH_ZONE_MAX_OFFER_TIMEOUT_S     3600

/* Reports and exports (GET /api/v1/reports/...): the longest period, by day
 * or driver and by hour; the buckets (hours, days) of a report and the
 * orders of an export fetched per query. */
#define DISPATCH_REPORT_MAX_DAYS              366
#define DISPATCH_REPORT_HOURLY_MAX_DAYS       31
#define DISPATCH_REPORT_PAGE_BUCKETS          24
#define DISPATCH_EXPORT_BATCH_ROWS            500

/* Demand (GET /api/v1/reports/demand): the side of a grid cell in metres
 * (smallest, largest, default) and the cells of an answer */
#define DISPATCH_DEMAND_MIN_CELL_M            50
#define DISPATCH_DEMAND_MAX_CELL_M            50000
#define DISPATCH_DEMAND_DEFAULT_CELL_M        500
#define DISPATCH_DEMAND_MAX_CELLS             10000
/* History for replay (GET /api/v1/history): the longest period, the step of
 * driver positions (one per driver per step: default, bounds) and the frames
 * fetched per query. */
#define DISPATCH_HISTORY_MAX_HOURS            24
#define DISPATCH_HISTORY_STEP_S               10
#define DISPATCH_HISTORY_MIN_STEP_S           1
#define DISPATCH_HISTORY_MAX_STEP_S           600
#define DISPATCH_HISTORY_PAGE_FRAMES          2000

typedef enum
{
  DISPATCH_LIMIT_MAX_LENGTH,
  DISPATCH_LIMIT_MIN_LENGTH,
  DISPATCH_LIMIT_MAXIMUM,
  DISPATCH_LIMIT_MAX_ITEMS,
} DispatchLimitKind;

/**
 * DispatchLimit:
 * @pointer: JSON pointer of the schema in docs/openapi.json that carries it
 * @kind: which keyword of that schema
 * @value: the limit
 *
 * Where the OpenAPI document states one of the limits above.
 */
typedef struct
{
  const char        *pointer;
  DispatchLimitKind  kind;
  double             value;
} DispatchLimit;

/* Terminated by an entry with a NULL pointer. */
extern const DispatchLimit dispatch_limits[];

/* The OpenAPI keyword of kind ("maxLength", ...). */
const char *dispatch_limit_kind_keyword (DispatchLimitKind kind);

G_END_DECLS
