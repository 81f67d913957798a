/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-driver-detail.h"
#include "dc-list-pane.h"
#include "dc-map-view.h"
#include "dc-order-detail.h"
#include "dc-replay-bar.h"
#include "dc-sign-in-page.h"
#include "dc-window.h"

G_BEGIN_DECLS

struct _DcWindow
{
  AdwApplicationWindow parent_instance;

  DcContext *context;

  /* built in code: they need the context */
  DcSignInPage *sign_in_page;
  DcMapView *map_view;
  DcOrderDetail *detail;
  DcDriverDetail *driver_detail;
  GtkStack *detail_stack;
  DcReplayBar *replay_bar;

  /* template */
  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  AdwBin *sign_in_bin;
  AdwLeaflet *leaflet;
  GtkWidget *sidebar;
  AdwViewStack *sidebar_stack;
  DcListPane *orders_pane;
  DcListPane *drivers_pane;
  GtkWidget *content;
  GtkLabel *status_label;
  AdwWindowTitle *window_title;
  GtkMenuButton *alerts_button;
  GtkLabel *badge_label;
  GtkRevealer *banner_revealer;
  GtkLabel *banner_label;
  AdwFlap *detail_flap;
  AdwBin *map_bin;
  AdwBin *detail_bin;
  GtkListBox *alerts_list;
  GtkRevealer *bulk_revealer;
  GtkLabel *bulk_label;

  /* ticks the "last update" age while the stream is not live */
  guint stale_source;

  /* the toast with the Undo of the last assignment (weak): the next one
   * replaces it, so that Undo always means the latest change */
  AdwToast *undo_toast;

  /* alerts raised since the last toast: a burst makes one toast */
  DcAlert *last_alert;
  guint pending_alerts;
  guint alert_toast_source;
};

/* dc-window.c */
void dc_window_select_order  (DcWindow *self,
                              DcOrder  *order,
                              gboolean  pan);
void dc_window_select_driver (DcWindow *self,
                              DcDriver *driver,
                              gboolean  pan);

/* dc-window-actions.c: the actions that change orders on the server */
void dc_window_class_install_order_actions (GtkWidgetClass *widget_class);
/* Offline, what needs the server cannot work: its buttons go insensitive. */
void dc_window_set_order_actions_enabled   (DcWindow       *self,
                                            gboolean        enabled);

G_END_DECLS
