"""Progress for long commands, drawn by rich on stderr, and only on a terminal.

- `bar(total, description)`: a bar with counts and elapsed time (`cartwheel generate`);
- `waiting(message)`: a spinner with elapsed time (`cartwheel server start`, `cartwheel
  cluster start`).

When stderr is not a terminal (CI, a pipe, a log file) both draw nothing, so logs hold
only the commands' own lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


def console() -> Console:
    return Console(stderr=True)


@contextmanager
def bar(total: int, description: str, enabled: bool = True) -> Iterator[Callable[[int, str], None]]:
    """Yields `advance(n, note)`: n more done, `note` shown after the bar (`enabled` False:
    draws nothing, as on a non-terminal)."""
    out = console()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    disable = not (enabled and out.is_terminal)
    with Progress(*columns, console=out, disable=disable, transient=False) as p:
        task = p.add_task(description, total=total, note="")

        def advance(n: int, note: str = "") -> None:
            p.update(task, advance=n, note=note)

        yield advance


@contextmanager
def waiting(message: str) -> Iterator[None]:
    """A spinner with the elapsed seconds while the block runs."""
    out = console()
    columns = (SpinnerColumn(), TextColumn(message), TimeElapsedColumn())
    with Progress(*columns, console=out, disable=not out.is_terminal, transient=True) as p:
        p.add_task(message, total=None)
        yield
