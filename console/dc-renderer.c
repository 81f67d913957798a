/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <epoxy/gl.h>

#include "dc-renderer.h"

/* Mesa's rasterizers on the CPU, as GL_RENDERER names them. */
static const char *const software_rasterizers[] = { "llvmpipe", "softpipe", "swrast" };

/* GL_RENDERER of the default display's OpenGL; NULL without one. */
static char *
gl_renderer_name (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr(GdkGLContext) context = NULL;
  g_autoptr(GError) error = NULL;
  char *name;

  if (display == NULL || !gdk_display_prepare_gl (display, &error))
    return NULL;

  context = gdk_display_create_gl_context (display, &error);
  if (context == NULL || !gdk_gl_context_realize (context, &error))
    return NULL;

  gdk_gl_context_make_current (context);
  name = g_strdup ((const char *) glGetString (GL_RENDERER));
  gdk_gl_context_clear_current ();

  return name;
}

const char *
dc_renderer_choose (void)
{
  g_autofree char *name = NULL;

  if (g_getenv ("GSK_RENDERER") != NULL || !gtk_init_check ())
    return NULL;

  name = gl_renderer_name ();
  if (name == NULL)
    return NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (software_rasterizers); i++)
    if (strstr (name, software_rasterizers[i]) != NULL)
      {
        g_debug ("OpenGL is %s, rendered on the CPU: the cairo renderer", name);
        g_setenv ("GSK_RENDERER", "cairo", TRUE);
        return "cairo";
      }

  return NULL;
}
