#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when an #include in server/ runs upward or sideways between levels.

The levels are those of docs/architecture.md ("Levels"); a folder may include
its own headers and those of folders on lower levels. Each folder's meson.build
puts only those folders on its include path, so an upward include does not
compile either; this check also catches a meson.build that lists too much.
Usage: check-layering.py SERVER_DIR (prints every include edge with -v).
"""
import os
import re
import sys

LEVELS = {
    'core': 0,
    'store': 1,
    'auth': 1,
    'http': 2,      # the request carries an auth principal
    'bus': 2,       # the outbox relay reads the store
    'cache': 3,     # follows the bus (invalidation, positions)
    'live': 4,
    'dispatch': 5,  # matches drivers of the live fleet
    'notify': 5,
    'api': 6,
    'ws': 6,
    'daemon': 7,
}
TOP = 8  # the programs directly in server/

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def main(argv):
    verbose = '-v' in argv
    args = [a for a in argv[1:] if a != '-v']
    server = args[0] if args else os.path.join(os.path.dirname(__file__), '..', 'server')
    owner = {}
    sources = []
    for folder in sorted(os.listdir(server)):
        path = os.path.join(server, folder)
        if os.path.isdir(path):
            if folder not in LEVELS:
                print(f'server/{folder}/: no level; add it to {__file__} and docs/architecture.md')
                return 1
            for name in sorted(os.listdir(path)):
                if name.endswith(('.c', '.h')):
                    owner[name] = folder
                    sources.append((folder, os.path.join(path, name)))
        elif folder.endswith('.c'):
            sources.append((None, path))
    bad = 0
    for folder, path in sources:
        level = LEVELS[folder] if folder else TOP
        with open(path, encoding='utf-8') as f:
            text = f.read()
        for header in INCLUDE.findall(text):
            target = owner.get(header)
            if target is None:
                continue  # shared/, config.h, generated headers
            if verbose:
                print(f'{folder or "server"} -> {target}: {os.path.basename(path)} -> {header}')
            if target != folder and LEVELS[target] >= level:
                print(f'{os.path.relpath(path, server)}: includes {target}/{header} '
                      f'(level {LEVELS[target]}) from level {level}')
                bad += 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
