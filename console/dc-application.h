/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "dc-context.h"

G_BEGIN_DECLS

#define DC_TYPE_APPLICATION (dc_application_get_type ())

G_DECLARE_FINAL_TYPE (DcApplication, dc_application, DC, APPLICATION, AdwApplication)

DcApplication *dc_application_new         (void);
DcContext     *dc_application_get_context (DcApplication *self);

G_END_DECLS
