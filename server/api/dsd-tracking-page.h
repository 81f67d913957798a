/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-context.h"
#include "dsd-router.h"

G_BEGIN_DECLS

/*
 * The public tracking page, the link customers get: GET /track/{token} is a
 * small HTML page (data/tracking/, from the GResource) with the public
 * tracking object embedded, so that it shows the status at once, then
 * follows /api/v1/track/{token}/stream; an unknown link gets the page with a
 * clear message and 404. GET /track/assets/… serves its scripts, styles and
 * images (Leaflet is vendored: no CDN), named with the server version by the
 * page and cached for a week.
 */
#define DSD_TYPE_TRACKING_PAGE (dsd_tracking_page_get_type ())
G_DECLARE_FINAL_TYPE (DsdTrackingPage, dsd_tracking_page, DSD, TRACKING_PAGE, GObject)

DsdTrackingPage *dsd_tracking_page_new      (DsdContext      *context);
void             dsd_tracking_page_register (DsdTrackingPage *self,
                                             DsdRouter       *router);

G_END_DECLS
