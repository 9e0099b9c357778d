"""Printing HTML to PDF with WeasyPrint, in a pool of separate low-priority processes.

Every PDF the app produces (reports, analytics, invoices, receipts, statements, the portal's
record) goes through `print_pdf`. WeasyPrint's layout is mostly Python: printed on a request
thread, it held that server process's GIL for 0.3-0.6 s, and the chart views served by the other
threads of the process crawled (the benchmark's contention scenario, ×12-15 at network size).
In a process of its own the render holds its own GIL, and the request thread waits on the
result without holding any.

- The request thread builds the HTML (templates, database reads, the gateway) as before; the
  render process only lays out that HTML string with its base URL and stylesheet files. It never
  touches Django or the database.
- One pool per server process, created at the first print and created again when the process id
  changes: gunicorn forks its workers from a master, and a pool (its pipes and its manager thread)
  does not survive a fork. The processes are started with 'spawn', a fresh interpreter, so they
  inherit no database connection, lock or thread of the server.
- `IMSCLINIC_PDF_RENDER_PROCESSES` render processes per server process (default 1), each lowered
  in CPU priority (`os.nice`), so that when the cores are busy the chart views win them.
- A render process that dies (killed, out of memory, a crash in a C library) breaks the pool:
  the print that was waiting raises `PrintingFailed` (a plain "could not be printed, nothing was
  saved" for the user; core.middleware answers it) and the pool is dropped, so the next print
  starts a fresh one. There is no fallback to printing on the request thread. A print that has
  not come back after `IMSCLINIC_PDF_RENDER_TIMEOUT_SECONDS` fails the same way (a pool can be
  left waiting forever when a process dies just as a print is submitted); its render processes
  are killed, so the abandoned print stops taking a core.
- At exit the pool shuts down with the interpreter (concurrent.futures joins it); a render process
  whose server was killed outright notices its parent is gone and exits.
"""

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

# How much lower than the server the render processes run (os.nice increment, 0-19). At 10 a busy
# render process gets about a tenth of a core that a request thread also wants.
RENDER_NICENESS = 10
# A killed render process is gone within milliseconds; the bound only keeps a wedged kernel from
# holding the request thread.
KILLED_PROCESS_JOIN_SECONDS = 5


class PrintingFailed(Exception):
    """The process printing the PDF stopped before it finished. Nothing was saved."""

    message = "The PDF could not be printed. Nothing was saved; please try again."
    # The "request refused" page already says "Nothing was saved".
    page_message = "The PDF could not be printed; please try again."

    def __init__(self):
        super().__init__(self.message)


@dataclass(frozen=True)
class PrintedPdf:
    pdf: bytes
    printed_by_pid: int  # the render process (never the server process itself)
    cpu_seconds: float  # the render's CPU time in that process


def print_pdf(
    html: str, *, base_url: str | None = None, stylesheets: Sequence[str] = ()
) -> PrintedPdf:
    """Lay out `html` and print it to PDF in a render process; wait for it without the GIL.

    `base_url` resolves the HTML's relative links; `stylesheets` are CSS file paths added to the
    document's own styles. Images and fonts must be files or data URIs: the render process has
    no request, no session and no database.
    """
    from django.conf import settings

    pool = _pool_of_this_process()
    try:
        printed = pool.submit(_print, html, base_url, tuple(stylesheets)).result(
            timeout=settings.PDF_RENDER_TIMEOUT_SECONDS
        )
    except (BrokenProcessPool, TimeoutError, CancelledError) as error:
        # A timed-out pool may be one that will never answer again: the next print starts anew.
        # (A print still queued behind it when it is discarded is cancelled: it fails the same
        # way.)
        _discard(pool)
        raise PrintingFailed from error
    _printing_cpu.seconds = render_cpu_seconds() + printed.cpu_seconds
    return printed


def render_cpu_seconds() -> float:
    """CPU seconds the render processes spent on this thread's prints so far (monotonic): the
    benchmark adds the difference to a request's own CPU time, so moving the render out of the
    server process does not hide its cost."""
    return getattr(_printing_cpu, "seconds", 0.0)


_printing_cpu = threading.local()
_pool_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_pid: int | None = None


def _pool_of_this_process() -> ProcessPoolExecutor:
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            # After a fork the inherited pool belongs to the parent: its manager thread does not
            # exist here and its processes answer the parent. Forget it (never shut it down from
            # here) and start this process's own.
            _pool = _new_pool()
            _pool_pid = os.getpid()
        return _pool


def _new_pool() -> ProcessPoolExecutor:
    import multiprocessing

    from django.conf import settings

    return ProcessPoolExecutor(
        max_workers=settings.PDF_RENDER_PROCESSES,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_render_process,
        initargs=(RENDER_NICENESS,),
    )


def _discard(pool: ProcessPoolExecutor) -> None:
    """Drop `pool` and stop its render processes.

    A print that timed out would otherwise go on laying out for nobody: a core taken from the
    chart views, and at exit the server process waits for it (concurrent.futures joins its pools
    at interpreter exit), which turned a gunicorn restart or a test worker's exit into a wait of
    as long as the document takes. A broken pool's processes are dead already.
    """
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    # ProcessPoolExecutor.kill_workers() does this from Python 3.14; shutdown() forgets them.
    processes = list((pool._processes or {}).values())
    for process in processes:
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=KILLED_PROCESS_JOIN_SECONDS)


def _forget_pool_after_fork() -> None:
    # A fork while another thread held the lock would leave it held forever in the child.
    global _pool_lock, _pool
    _pool_lock = threading.Lock()
    _pool = None


os.register_at_fork(after_in_child=_forget_pool_after_fork)


# ---- in the render process --------------------------------------------------------------------


def _start_render_process(niceness: int) -> None:
    import multiprocessing

    parent = multiprocessing.parent_process()
    threading.Thread(
        target=_exit_with_parent, args=(parent.sentinel,), name="parent-watch", daemon=True
    ).start()
    # Loaded once per process, before lowering the priority: the first print waits for this
    # start-up, which a busy machine would otherwise starve for many seconds.
    import weasyprint  # noqa: F401

    os.nice(niceness)


def _exit_with_parent(sentinel: int) -> None:
    # A server process killed outright (gunicorn's timeout, SIGKILL) cannot shut its pool down,
    # and the render process's own copy of the task pipe would keep it waiting forever.
    from multiprocessing.connection import wait

    wait([sentinel])
    os._exit(1)


def _print(html: str, base_url: str | None, stylesheets: tuple[str, ...]) -> PrintedPdf:
    from weasyprint import CSS, HTML

    started = time.thread_time()
    pdf = HTML(string=html, base_url=base_url).write_pdf(
        stylesheets=[CSS(filename=path) for path in stylesheets] or None
    )
    return PrintedPdf(pdf=pdf, printed_by_pid=os.getpid(), cpu_seconds=time.thread_time() - started)
