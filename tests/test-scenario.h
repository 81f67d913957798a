/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "test-server.h"

G_BEGIN_DECLS

/*
 * Building blocks of delivery scenarios for integration tests: each step goes
 * through the REST API of the test server and asserts that it succeeded.
 */

/* @method @path with @token and @body (nullable), asserting @status.
 * Returns: (transfer full): the answer's object. */
JsonObject *dsd_test_call                 (DsdTestServer *server,
                                           const char    *token,
                                           const char    *method,
                                           const char    *path,
                                           const char    *body,
                                           guint          status);
/* POST with a JSON body, asserting 200. */
void        dsd_test_post_ok              (DsdTestServer *server,
                                           const char    *path,
                                           const char    *token,
                                           const char    *body);
/* A position report of the driver (asserting 202). */
void        dsd_test_post_location        (DsdTestServer *server,
                                           const char    *driver_id,
                                           const char    *token,
                                           double         lat,
                                           double         lon);
/* An order from Alexanderplatz (52.5219, 13.4132) to (52.5096, 13.3760),
 * created with token; extra_members (nullable) are appended to the body
 * (",\"notes\":\"…\""). Returns: (transfer full): the order object. */
JsonObject *dsd_test_create_order         (DsdTestServer *server,
                                           const char    *token,
                                           const char    *extra_members);
/* "Maria Lopez" on a scooter, a driver user for her, online at (lat, lon);
 * returns her token. */
char       *dsd_test_create_named_driver  (DsdTestServer *server,
                                           double         lat,
                                           double         lon,
                                           char         **out_driver_id);
/* A driver from @body (the POST /drivers object), online at (lat, lon), all
 * as the admin. Returns: (transfer full): its id. */
char       *dsd_test_add_online_driver    (DsdTestServer *server,
                                           const char    *body,
                                           double         lat,
                                           double         lon);
/* Assigns the order to the driver, as the admin. */
void        dsd_test_assign               (DsdTestServer *server,
                                           const char    *order_id,
                                           const char    *driver_id);

G_END_DECLS
