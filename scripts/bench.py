#!/usr/bin/env python3
"""The benchmark behind docs/performance.md: `ciro bench run` (options: --help), or with `release` first,
`ciro bench release`: the real `ciro build` and `ciro validate` against the pyoxigraph reference.

    python scripts/bench.py release --sizes 1000,10000,100000 --json release.json --markdown release.md
    python scripts/bench.py --sizes 1000,10000,100000 --json bench.json --markdown bench.md
"""

import sys

from ciro.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    main(["bench", "release", *args[1:]] if args[:1] == ["release"] else ["bench", "run", *args])
