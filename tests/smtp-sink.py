#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real SMTP server for the notification tests (aiosmtpd, Debian's
python3-aiosmtpd). Listens on a free loopback port, prints that port on its
first output line, and writes every message it accepts into DIRECTORY as
NNNN.eml (the bytes received) and NNNN.json (the message as Python's email
package parses it: envelope, decoded subject, headers, text and HTML parts,
MIME defects). Each JSON file appears complete (written, then renamed). Ends on SIGTERM or
when its standard input closes.

Usage: smtp-sink.py DIRECTORY
"""

import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    def write(self, name, data):
        path = os.path.join(self.directory, name)
        with open(path + '.tmp', 'wb') as f:
            f.write(data)
        os.rename(path + '.tmp', path)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        legacy = email.message_from_bytes(raw)
        text = parsed.get_body(preferencelist=('plain',))
        html = parsed.get_body(preferencelist=('html',))
        defects = [repr(d) for part in parsed.walk() for d in part.defects]
        summary = {
            'mail_from': envelope.mail_from,
            'rcpt_tos': envelope.rcpt_tos,
            'from': str(parsed['from']),
            'to': str(parsed['to']),
            'subject': str(parsed['subject']),
            'subject_raw': legacy['subject'],
            'date': str(parsed['date']),
            'message_id': str(parsed['message-id']),
            'mime_version': str(parsed['mime-version']),
            'content_type': parsed.get_content_type(),
            'text': text.get_content() if text is not None else None,
            'html': html.get_content() if html is not None else None,
            'defects': defects,
        }
        self.count += 1
        name = '%04d' % self.count
        self.write(name + '.eml', raw)
        self.write(name + '.json', json.dumps(summary).encode())
        return '250 OK'


async def main(directory):
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sink = Sink(directory)
    server = await loop.create_server(
        lambda: SMTP(sink, hostname='localhost', decode_data=False), sock=sock)
    print(sock.getsockname()[1], flush=True)

    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # The test holds our stdin open: end with it, even if the test crashed.
    def stdin_readable():
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())
            stop.set()
    loop.add_reader(sys.stdin.fileno(), stdin_readable)
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1]))
