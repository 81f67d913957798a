// SPDX-License-Identifier: GPL-3.0-or-later
//
// The public tracking page: renders the public tracking object embedded by
// the server, then follows /api/v1/track/{token}/stream. No build step.

(function () {
  'use strict';

  const initial = JSON.parse(document.getElementById('initial-state').textContent);
  // Only the page's own state has it (the stream frames never do).
  const deliveryPin = initial.tracking ? initial.tracking.delivery_pin : undefined;
  const FINISHED = ['delivered', 'cancelled', 'failed'];
  const STEPS = ['pending', 'assigned', 'picked_up', 'delivered'];
  const VEHICLES = { bike: 'Bike', scooter: 'Scooter', car: 'Car', van: 'Van' };
  const ICONS = {
    pickup: '<svg viewBox="0 0 24 24" width="18" height="18"><path d="M5.5 8.5h13l-1.2 11.5H6.7z' +
            'M9 8.5V7a3 3 0 0 1 6 0v1.5" fill="none" stroke="#fff" stroke-width="2.2" ' +
            'stroke-linejoin="round"/></svg>',
    dropoff: '<svg viewBox="0 0 24 24" width="18" height="18"><path d="M3.5 11.5 12 4l8.5 7.5V20' +
             'h-6v-5.5h-5V20h-6z" fill="#fff"/></svg>',
    driver: '<svg class="driver-heading" viewBox="0 0 24 24" width="22" height="22">' +
            '<path d="M12 2.5 19 20l-7-4-7 4z" fill="#fff"/></svg>',
  };

  const $ = (id) => document.getElementById(id);
  const body = document.body;

  let map = null;
  let tilesLoaded = false;
  let markers = {};
  let route = null;
  let fitted = false;
  let socket = null;
  let retryMs = 1000;
  let finished = false;

  // Map ----------------------------------------------------------------------

  function pin(kind, label) {
    return L.divIcon({
      className: '',
      html: '<div class="pin pin-' + kind + '" title="' + label + '">' + ICONS[kind] + '</div>',
      iconSize: kind === 'driver' ? [42, 42] : [34, 34],
      iconAnchor: kind === 'driver' ? [21, 21] : [17, 17],
    });
  }

  function setupMap() {
    map = L.map('map', { zoomControl: false, attributionControl: false });
    L.control.attribution({ prefix: false }).addTo(map);

    const tiles = L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
      maxZoom: 19,
      attribution: '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    });
    tiles.on('tileload', () => {
      tilesLoaded = true;
      $('map-note').hidden = true;
    });
    // Offline or blocked: keep the positions on a plain background.
    tiles.on('tileerror', (event) => {
      event.tile.classList.add('tile-failed');
      if (!tilesLoaded)
        $('map-note').hidden = false;
    });
    tiles.addTo(map);
    map.setView([0, 0], 2);
  }

  function placeMarker(kind, point, label) {
    if (!point) {
      if (markers[kind]) {
        markers[kind].remove();
        delete markers[kind];
      }
      return null;
    }

    const latLng = [point.lat, point.lon];
    if (!markers[kind]) {
      markers[kind] = L.marker(latLng, {
        icon: pin(kind, label),
        keyboard: false,
        zIndexOffset: kind === 'driver' ? 1000 : 0,
      }).addTo(map);
    } else if (kind === 'driver') {
      glide(markers[kind], latLng);
    } else {
      markers[kind].setLatLng(latLng);
    }
    return latLng;
  }

  // Moves the driver smoothly instead of jumping between reports.
  function glide(marker, to) {
    const from = marker.getLatLng();
    const start = performance.now();
    const duration = 800;

    function step(now) {
      const t = Math.min(1, (now - start) / duration);
      const e = t * (2 - t);
      marker.setLatLng([from.lat + (to[0] - from.lat) * e, from.lng + (to[1] - from.lng) * e]);
      if (t < 1)
        requestAnimationFrame(step);
      else
        delete body.dataset.moving;
    }
    body.dataset.moving = 'true';
    requestAnimationFrame(step);
  }

  function drawMap(tracking) {
    const driver = tracking.driver;
    const location = driver && driver.location;
    const pickup = placeMarker('pickup', tracking.pickup, 'Pickup');
    const dropoff = placeMarker('dropoff', tracking.dropoff, 'Delivery address');
    const car = placeMarker('driver', location, 'Your driver');

    if (car && location.heading !== undefined && location.heading !== null) {
      const arrow = markers.driver.getElement().querySelector('.driver-heading');
      if (arrow)
        arrow.style.transform = 'rotate(' + location.heading + 'deg)';
    }

    // The way still to go: driver → pickup (until picked up) → door
    const path = [];
    if (car)
      path.push(car);
    if (pickup && tracking.status !== 'picked_up' && !FINISHED.includes(tracking.status))
      path.push(pickup);
    if (dropoff)
      path.push(dropoff);

    if (route)
      route.remove();
    route = path.length > 1 && !FINISHED.includes(tracking.status)
      ? L.polyline(path, { color: '#1c71d8', weight: 4, opacity: 0.7, dashArray: '2 8' }).addTo(map)
      : null;

    const points = [car, pickup, dropoff].filter(Boolean);
    if (points.length === 0)
      return;

    const bounds = L.latLngBounds(points);
    // Refit only when something left the view, so that the map stays calm.
    if (!fitted || !map.getBounds().contains(bounds)) {
      map.fitBounds(bounds.pad(0.25), { maxZoom: 16, animate: fitted });
      fitted = true;
    }

    if (location) {
      body.dataset.driverLat = location.lat;
      body.dataset.driverLon = location.lon;
    }
  }

  // Text ---------------------------------------------------------------------

  function formatEta(seconds) {
    if (seconds === null || seconds === undefined)
      return '';
    if (seconds < 60)
      return 'Arriving in less than a minute';

    const minutes = Math.round(seconds / 60);
    const at = new Date(Date.now() + seconds * 1000)
      .toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
    return 'Arriving in about ' + minutes + ' min · ' + at;
  }

  function title(tracking) {
    const name = tracking.driver && tracking.driver.first_name;

    switch (tracking.status) {
      case 'pending': return 'Order received';
      case 'assigned': return (name || 'Your driver') + ' is picking up your order';
      case 'picked_up': return (name || 'Your driver') + ' is on the way';
      case 'delivered': return 'Delivered';
      case 'cancelled': return 'Order cancelled';
      case 'failed': return 'Delivery failed';
      default: return 'Your delivery';
    }
  }

  function subtitle(tracking) {
    switch (tracking.status) {
      case 'pending': return 'We are finding a driver for you';
      case 'delivered': return 'Your order has arrived. Enjoy!';
      case 'cancelled': return 'This order will not be delivered.';
      case 'failed': return 'Your order could not be delivered.';
      default: return formatEta(tracking.eta_seconds);
    }
  }

  function render(tracking) {
    body.dataset.status = tracking.status;
    $('status-title').textContent = title(tracking);
    $('eta').textContent = subtitle(tracking);

    const reached = STEPS.indexOf(tracking.status);
    document.querySelectorAll('.steps li').forEach((item, index) => {
      item.classList.toggle('done', reached >= 0 && index <= reached);
      item.classList.toggle('current', index === reached && !FINISHED.includes(tracking.status));
    });

    $('pin').hidden = !deliveryPin || FINISHED.includes(tracking.status);
    $('pin-code').textContent = deliveryPin || '';

    const driver = tracking.driver;
    $('driver').hidden = !driver;
    if (driver) {
      const name = driver.first_name || 'Your driver';
      $('driver-avatar').textContent = name.charAt(0).toUpperCase();
      $('driver-name').textContent = name;
      $('driver-vehicle').textContent = (VEHICLES[driver.vehicle] || 'Courier') +
        (driver.location ? '' : ' · waiting for position');
    }

    if (tracking.status === 'cancelled' || tracking.status === 'failed') {
      $('notice').hidden = false;
      $('notice').textContent = 'Questions about this order? Contact the store you ordered from.';
    } else {
      $('notice').hidden = true;
    }

    if (FINISHED.includes(tracking.status)) {
      finished = true;
      setLive('Delivery finished', false);
    }

    drawMap(tracking);
  }

  function setLive(text, connected) {
    $('live-text').textContent = text;
    body.classList.toggle('connected', connected);
  }

  const unknownTexts = {
    unavailable: ['Offline', 'Tracking is unavailable right now',
                  'Please try again in a minute.'],
    expired: ['Delivery tracking', 'This tracking link has expired',
              'The delivery has ended, so its tracking is no longer shown.'],
    not_found: ['Delivery tracking', 'We can’t find this delivery',
                'The link may be mistyped or no longer valid. Check the message you received.'],
  };

  function showUnknown(error) {
    const texts = unknownTexts[error] || unknownTexts.not_found;
    body.dataset.status = 'unknown';
    setLive(texts[0], false);
    $('status-title').textContent = texts[1];
    $('eta').textContent = texts[2];
  }

  // Live updates -------------------------------------------------------------

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = scheme + '//' + location.host + '/api/v1/track/' +
                encodeURIComponent(initial.token) + '/stream';

    socket = new WebSocket(url);
    socket.onopen = () => {
      retryMs = 1000;
      setLive('Live', true);
    };
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === 'tracking')
        render(frame.data);
    };
    socket.onclose = () => {
      socket = null;
      if (finished)
        return;
      setLive('Reconnecting…', false);
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    };
  }

  if (!initial.tracking) {
    showUnknown(initial.error);
    return;
  }

  setupMap();
  render(initial.tracking);
  if (!finished)
    connect();
})();
