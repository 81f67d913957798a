/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dsd-notify-error.h"

G_DEFINE_QUARK (dsd-notify-error-quark, dsd_notify_error)
