"""PDFs are printed by WeasyPrint in separate render processes (core.printing, ADR 8).

Real WeasyPrint, real processes: the PDF is valid, it was printed by another process at a lower
CPU priority, a render process killed mid-print is a clear error and the next print works, a
forked server process gets a pool of its own, and render processes never outlive their server.
"""

import ast
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pypdf import PdfReader

from imsclinic.core import printing
from tests.workers import HANG_GUARD_SECONDS

PACKAGE = Path(__file__).resolve().parents[2] / "imsclinic"


def pdf_text(pdf: bytes) -> str:
    import io

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def has_exited(pid: int) -> bool:
    """Gone, or a zombie waiting for whoever adopted it to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.01)


def long_document() -> str:
    """Seconds of layout: long enough to be caught in the middle of it."""
    rows = "".join(f"<tr><td>Row {i}</td><td>{'needling ' * 12}</td></tr>" for i in range(20_000))
    return f"<h1>Long</h1><table>{rows}</table>"


def test_the_pdf_is_printed_by_a_render_process_at_a_lower_priority(tmp_path):
    stylesheet = tmp_path / "print.css"
    stylesheet.write_text("h1 { color: rgb(200, 0, 0); }")
    printed = printing.print_pdf(
        "<h1>Progress report</h1><p>Pain 8/10 at intake, 3/10 now.</p>",
        base_url=str(tmp_path),
        stylesheets=[str(stylesheet)],
    )
    assert printed.pdf.startswith(b"%PDF-")
    text = pdf_text(printed.pdf)
    assert "Progress report" in text and "Pain 8/10 at intake" in text
    assert printed.printed_by_pid != os.getpid()
    assert printed.cpu_seconds > 0
    # The render process is alive between prints (fonts stay loaded), lower in priority.
    assert os.getpriority(os.PRIO_PROCESS, printed.printed_by_pid) == min(
        os.getpriority(os.PRIO_PROCESS, 0) + printing.RENDER_NICENESS, 19
    )
    again = printing.print_pdf("<p>Second</p>")
    assert again.printed_by_pid == printed.printed_by_pid
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) renders the PDF to look at it"
    (tmp_path / "doc.pdf").write_bytes(printed.pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", tmp_path / "doc.pdf", tmp_path / "page"], check=True
    )
    assert list(tmp_path.glob("page*.png"))


def test_the_render_cpu_is_counted_for_the_thread_that_asked():
    before = printing.render_cpu_seconds()
    printed = printing.print_pdf("<p>Counted</p>")
    assert printing.render_cpu_seconds() == pytest.approx(before + printed.cpu_seconds)


def test_an_error_in_the_document_is_raised_as_is_and_the_pool_keeps_working(tmp_path):
    with pytest.raises(FileNotFoundError):
        printing.print_pdf("<p>x</p>", stylesheets=[str(tmp_path / "missing.css")])
    assert printing.print_pdf("<p>Still printing</p>").pdf.startswith(b"%PDF-")


def test_a_render_process_killed_mid_print_is_a_clear_error_and_the_next_print_works():
    render_pid = printing.print_pdf("<p>Warm</p>").printed_by_pid
    idle = cpu_ticks(render_pid)
    with ThreadPoolExecutor(1) as thread:
        waiting = thread.submit(printing.print_pdf, long_document())
        wait_until(lambda: cpu_ticks(render_pid) >= idle + 10, "the render process to start")
        os.kill(render_pid, signal.SIGKILL)
        with pytest.raises(printing.PrintingFailed, match="could not be printed"):
            waiting.result(timeout=HANG_GUARD_SECONDS)
    printed = printing.print_pdf("<p>After the crash</p>")
    assert "After the crash" in pdf_text(printed.pdf)
    assert printed.printed_by_pid not in (render_pid, os.getpid())
    wait_until(lambda: has_exited(render_pid), "the killed render process to be reaped")


def test_a_render_process_that_died_while_idle_fails_the_next_print_only():
    render_pid = printing.print_pdf("<p>Warm</p>").printed_by_pid
    os.kill(render_pid, signal.SIGKILL)
    with pytest.raises(printing.PrintingFailed):
        printing.print_pdf("<p>Lost</p>")
    assert printing.print_pdf("<p>Fresh pool</p>").printed_by_pid != render_pid


def test_a_print_that_does_not_come_back_in_time_is_a_clear_error_and_the_next_works(settings):
    """A guard against a pool that will never answer (a render process that died just as the
    print was submitted): after the timeout the request gets the plain error and a fresh pool,
    and the render process of the abandoned print is stopped."""
    render_pid = printing.print_pdf("<p>Warm</p>").printed_by_pid
    settings.PDF_RENDER_TIMEOUT_SECONDS = 0.2  # far below the seconds long_document() takes
    with pytest.raises(printing.PrintingFailed, match="could not be printed"):
        printing.print_pdf(long_document())
    # The abandoned print was stopped, not left laying out for nobody (it takes seconds).
    assert has_exited(render_pid)
    settings.PDF_RENDER_TIMEOUT_SECONDS = HANG_GUARD_SECONDS
    printed = printing.print_pdf("<p>After the timeout</p>")
    assert "After the timeout" in pdf_text(printed.pdf)
    assert printed.printed_by_pid != render_pid


def test_a_forked_server_process_prints_with_a_pool_of_its_own():
    """gunicorn forks its workers: the pool of the process before the fork (its pipes, its
    manager thread) is useless in the child, which must start its own."""
    parent_render_pid = printing.print_pdf("<p>Before the fork</p>").printed_by_pid
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the forked child reports through the pipe
        try:
            printed = printing.print_pdf("<p>In the forked child</p>")
            ok = printed.pdf.startswith(b"%PDF-")
            os.write(write_end, f"{printed.printed_by_pid} {ok}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        # A child printing with the inherited pool would wait forever: fail instead.
        ready, _, _ = select.select([read_end], [], [], HANG_GUARD_SECONDS)
        if not ready:
            os.kill(child, signal.SIGKILL)
        with os.fdopen(read_end) as report:
            answer = report.read() if ready else ""  # EOF when the child exits
    finally:
        os.waitpid(child, 0)
    assert answer, "the forked child printed nothing"
    child_render_pid, ok = answer.split()
    assert ok == "True"
    assert int(child_render_pid) not in (parent_render_pid, child, os.getpid())
    # The child exited without shutting its pool down; its render process noticed.
    wait_until(lambda: has_exited(int(child_render_pid)), "the orphaned render process to exit")
    assert printing.print_pdf("<p>Parent still prints</p>").printed_by_pid == parent_render_pid


PRINT_AND_REPORT = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "imsclinic.settings"
import django
django.setup()
from imsclinic.core.printing import print_pdf
print(print_pdf("<p>From a server process</p>").printed_by_pid, flush=True)
if sys.argv[1] == "hang":
    sys.stdin.read()
"""


@pytest.mark.slow
@pytest.mark.parametrize("end", ["exit", "killed"])
def test_render_processes_end_with_their_server_process(end, tmp_path):
    """A normal exit shuts the pool down (no hang, no leftover process); a server killed
    outright (gunicorn's timeout, SIGKILL) leaves a render process that exits by itself."""
    server = subprocess.Popen(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", PRINT_AND_REPORT, "hang" if end == "killed" else "exit"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "IMSCLINIC_DATA_DIR": str(tmp_path)},
        cwd=PACKAGE.parent,
    )
    try:
        render_pid = int(server.stdout.readline())
        if end == "killed":
            server.kill()
        assert server.wait(timeout=HANG_GUARD_SECONDS) == (0 if end == "exit" else -9)
    finally:
        server.kill()
        server.wait()
    wait_until(lambda: has_exited(render_pid), "the render process to exit")


def test_only_core_printing_runs_weasyprint():
    """Every PDF of the app goes through core.printing.print_pdf, so none is printed on a
    request thread."""
    importers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        if "weasyprint" not in source:  # parsing every module costs seconds
            continue
        for node in ast.walk(ast.parse(source, filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] == "weasyprint" for name in names):
                importers.append(path.relative_to(PACKAGE).as_posix())
    assert sorted(set(importers)) == ["core/printing.py"]


PRINT_TWO_AT_ONCE = """
import os, threading
os.environ["DJANGO_SETTINGS_MODULE"] = "imsclinic.settings"
import django
django.setup()
from imsclinic.core.printing import print_pdf
start = threading.Barrier(2)
pids = []
def print_one():
    start.wait()
    pids.append(print_pdf("<p>At once</p>").printed_by_pid)
threads = [threading.Thread(target=print_one) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
# Both prints were asked for before the first render process had even started, so the pool
# started as many render processes as it may.
children = []
for entry in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{entry}/stat").read()
        cmdline = open(f"/proc/{entry}/cmdline").read()
    except (FileNotFoundError, ProcessLookupError):
        continue
    if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and "spawn_main" in cmdline:
        children.append(int(entry))
print(len(children), all(pid in children for pid in pids))
"""


@pytest.mark.slow
@pytest.mark.parametrize("processes", ["1", "2"])
def test_the_pool_has_as_many_render_processes_as_the_setting_says(processes, tmp_path):
    result = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", PRINT_TWO_AT_ONCE],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "IMSCLINIC_DATA_DIR": str(tmp_path),
            "IMSCLINIC_PDF_RENDER_PROCESSES": processes,
        },
        cwd=PACKAGE.parent,
        timeout=HANG_GUARD_SECONDS,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [processes, "True"]


def test_a_pool_without_processes_is_refused(tmp_path):
    result = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", "import imsclinic.settings"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "IMSCLINIC_DATA_DIR": str(tmp_path),
            "IMSCLINIC_PDF_RENDER_PROCESSES": "0",
        },
        cwd=PACKAGE.parent,
        timeout=HANG_GUARD_SECONDS,
    )
    assert result.returncode != 0
    assert "IMSCLINIC_PDF_RENDER_PROCESSES must be at least 1" in result.stderr
