#!/usr/bin/env bash
# A private Virtuoso for the CIRO release, on loopback (not the system service). See docs/triplestore.md.
#   scripts/virtuoso.sh install            apt-get install virtuoso-opensource-7-bin (root, non-interactive)
#   scripts/virtuoso.sh start [PORT]       start it in $CIRO_VIRTUOSO_DIR (default /tmp/ciro-virtuoso), HTTP on PORT
#   scripts/virtuoso.sh load [ONTOLOGY]    bulk-load ONTOLOGY/ciro.ttl + imports (default ontology/) into
#                                          the graph <https://w3id.org/ciro/ciro.owl>
#   scripts/virtuoso.sh status | stop
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${CIRO_VIRTUOSO_DIR:-/tmp/ciro-virtuoso}"
if [ -n "${PYTHON:-}" ]; then py="$PYTHON"; elif [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
command="${1:-}"
case "$command" in
  install) exec "$py" -m ciro.query.triplestore install ;;
  start)   exec "$py" -m ciro.query.triplestore start "$dir" --http-port "${2:-8890}" ;;
  load)    exec "$py" -m ciro.query.triplestore load "$dir" --ontology "${2:-ontology}" ;;
  status|stop) exec "$py" -m ciro.query.triplestore "$command" "$dir" ;;
  *) sed -n '2,7p' "$0" >&2; exit 2 ;;
esac
