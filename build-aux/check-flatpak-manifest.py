#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the console's Flatpak manifest without building it.

Usage: check-flatpak-manifest.py MANIFEST APP_ID FLATPAK_BUILDER

The manifest must be well-formed JSON with the fields flatpak-builder reads
(flatpak-builder --show-manifest, with GLib warnings fatal so that a field of
the wrong type fails too), on a GNOME runtime that is still supported (47 or
later: GNOME supports its two latest releases), with the app id of the
desktop file and metainfo, libshumate as a module of its own (GNOME Maps
does the same; the runtime does not ship it), and this project as the last
module, built without the server.
"""
import json
import os
import subprocess
import sys

OLDEST_SUPPORTED_GNOME = 47


def fail(message):
    print(f'{sys.argv[1]}: {message}', file=sys.stderr)
    sys.exit(1)


def main():
    path, app_id, flatpak_builder = sys.argv[1:4]
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        fail(f'not well-formed JSON: {e}')

    env = dict(os.environ, G_DEBUG='fatal-warnings')
    shown = subprocess.run([flatpak_builder, '--show-manifest', path], env=env,
                           capture_output=True, text=True)
    if shown.returncode != 0:
        fail(f'flatpak-builder --show-manifest refused it:\n{shown.stderr}')
    if json.loads(shown.stdout).get('id') != app_id:
        fail('flatpak-builder does not read the app id back')

    if manifest.get('id') != app_id:
        fail(f'id is {manifest.get("id")!r}, not {app_id!r}')
    if manifest.get('runtime') != 'org.gnome.Platform' or manifest.get('sdk') != 'org.gnome.Sdk':
        fail('runtime and sdk must be org.gnome.Platform and org.gnome.Sdk')
    version = manifest.get('runtime-version', '')
    if not version.isdigit() or int(version) < OLDEST_SUPPORTED_GNOME:
        fail(f'runtime-version {version!r} is not a supported GNOME release '
             f'(>= {OLDEST_SUPPORTED_GNOME})')
    if manifest.get('command') != 'dispatch-console':
        fail('command must be dispatch-console')

    modules = manifest.get('modules', [])
    names = [m.get('name') for m in modules if isinstance(m, dict)]
    if 'libshumate' not in names:
        fail('libshumate must be built as a module')
    last = modules[-1] if modules else {}
    opts = last.get('config-opts', [])
    if last.get('name') != 'dispatch' or '-Dserver=false' not in opts or \
            '-Dconsole=true' not in opts:
        fail('the last module must be dispatch with -Dserver=false -Dconsole=true')
    if not any(s.get('type') == 'dir' and s.get('path') == '../..'
               for s in last.get('sources', [])):
        fail('the dispatch module must build this tree (a "dir" source at ../..)')


if __name__ == '__main__':
    main()
