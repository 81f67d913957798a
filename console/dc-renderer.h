/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * The console's windows take GTK's cairo renderer where OpenGL is rendered
 * on the CPU (Mesa's llvmpipe, softpipe or swrast: virtual machines, remote
 * X displays, Xvfb). Those have no buffer age, so GTK's GL renderer
 * repaints the whole window in every frame, and the map's frames cost
 * about twice the CPU; the cairo renderer repaints only what changed.
 * With a GPU, and wherever GSK_RENDERER is set, GTK chooses as usual.
 *
 * Call before the first window is realized (GTK reads GSK_RENDERER when it
 * makes its first renderer) and before any thread that reads the
 * environment starts: it opens the default display when it can and sets
 * GSK_RENDERER=cairo for the process when it chooses. Returns the
 * renderer's name when it chose, NULL when it left the choice to GTK.
 */
const char *dc_renderer_choose (void);

G_END_DECLS
