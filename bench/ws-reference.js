// SPDX-License-Identifier: GPL-3.0-or-later
//
// The reference of bench-fanout.sh (TARGETS P4): Node `ws` 8 broadcasting one
// 120-byte text frame to every connected client, as fast as they take it. A
// client with more than 1 MiB unsent is skipped (what it misses is not
// counted as delivered), so memory stays bounded as in our server.
//
// Usage: node ws-reference.js [PORT]    (with `ws` on NODE_PATH; 0 or none: a
// free port). Prints "listening PORT" once it serves.

'use strict';

const { WebSocketServer } = require('ws');

const HIGH_WATER = 1 << 20;
const ROUNDS_PER_TURN = 32;
const frame = Buffer.from('{"type":"bench","data":"'.padEnd(118, 'x') + '"}');

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.argv[2] || 0),
  perMessageDeflate: false,
});

wss.on('listening', () => console.log('listening ' + wss.address().port));

function pump () {
  for (let round = 0; round < ROUNDS_PER_TURN; round++) {
    for (const client of wss.clients) {
      if (client.bufferedAmount < HIGH_WATER)
        client.send(frame, { binary: false });
    }
  }
  setImmediate(pump);
}

pump();
