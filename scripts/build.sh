#!/usr/bin/env bash
# Set up a fresh machine and build the release into ontology/ (and the documentation site into site/).
set -euo pipefail
cd "$(dirname "$0")/.."
# Graphviz draws the resistance map; without it the build still succeeds and says the map is missing.
if ! command -v dot >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install -q -e .
.venv/bin/ciro build
