"""Progress bars for long console commands (rich), shaped for DemoContext.progress."""

import contextlib

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextlib.contextmanager
def progress_bars(*, enabled: bool = True):
    """Yield `start(description, total) -> advance(n)`; draws nothing when disabled."""
    if not enabled:
        yield lambda description, total: lambda n=1: None
        return
    with Progress(
        TextColumn("[bold]{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as progress:

        def start(description: str, total: int):
            task = progress.add_task(description, total=total)
            return lambda n=1: progress.advance(task, n)

        yield start
