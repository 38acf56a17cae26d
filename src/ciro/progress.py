"""Progress of long work: a bar on a terminal, plain step lines otherwise.

On a terminal (stdout is a TTY and CI is not set) the long loops of `ciro build`, `ciro validate` and
`ciro bench` show a tqdm bar on stderr, which vanishes when the loop ends; elsewhere (a pipe, a log file, CI)
nothing but the step lines is written. Step lines go to stdout, errors to stderr, in both modes.

The commands switch bars on with `use_bars(True)`; library code marks its long loops with `track(...)`,
which costs nothing when bars are off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["on_terminal", "use_bars", "bars_on", "track", "step_line"]

T = TypeVar("T")
_state = {"bars": False}


def on_terminal(stream=None) -> bool:
    """Whether to draw bars: the output is a terminal and this is not CI."""
    stream = stream or sys.stdout
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def use_bars(on: bool) -> None:
    _state["bars"] = bool(on)


def bars_on() -> bool:
    return _state["bars"]


def track(items: Iterable[T], desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Iterate over `items`, with a bar on stderr when bars are on."""
    if not _state["bars"]:
        yield from items
        return
    from tqdm import tqdm

    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with tqdm(items, desc=desc, total=total, unit=unit, leave=False, file=sys.stderr, dynamic_ncols=True,
              mininterval=0.2) as bar:
        yield from bar


def step_line(text: str) -> None:
    """One step line on stdout (above any bar)."""
    if _state["bars"]:
        from tqdm import tqdm

        tqdm.write(text, file=sys.stdout)
    else:
        print(text, file=sys.stdout, flush=True)
