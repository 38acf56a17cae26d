#!/usr/bin/env bash
# Set up a fresh machine and build the release into ontology/.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q -e .
.venv/bin/ciro build
