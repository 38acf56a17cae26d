#!/usr/bin/env python3
"""The benchmark behind docs/performance.md: the same as `ciro bench run` (options: --help).

    python scripts/bench.py --sizes 1000,10000,100000 --json bench.json --markdown bench.md
"""

import sys

from ciro.cli import main

if __name__ == "__main__":
    main(["bench", "run", *sys.argv[1:]])
