#!/usr/bin/env bash
# The README's first command: install, migrate, seed and serve on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3.11 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e .
.venv/bin/fieldlog init
.venv/bin/fieldlog seed
.venv/bin/fieldlog demo-users
exec .venv/bin/fieldlog serve --host 127.0.0.1 --port 8000
