"""Per-request SQL query count and server time, for the benchmark only.

settings.MIDDLEWARE lists this class first, but it removes itself at start-up (MiddlewareNotUsed)
unless IMSCLINIC_BENCH_QUERY_COUNT=1, which the `bench` command sets for the server it starts; so
production never pays for it. It sits first in the stack so that the queries of every other
middleware (session, user, clinic) are counted too.
Responses carry `X-Query-Count`, `X-Server-Time-Ms` (wall time in the view stack) and
`X-Server-Cpu-Ms` (CPU time of the request's own thread, plus that of the render process for the
PDFs it printed (core.printing): what the app server spent computing, not waiting for the
database or the lock of another request); the load driver reads all three. A streamed body is
drawn inside the measurement (in the benchmark only), since its building is the view's work.
"""

import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections

from imsclinic.core.printing import render_cpu_seconds


def enabled() -> bool:
    return settings.BENCH_QUERY_COUNT


class QueryCountMiddleware:
    def __init__(self, get_response):
        if not enabled():
            raise MiddlewareNotUsed("Query counting is for the benchmark only.")
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        cpu_started = time.thread_time()
        render_cpu_started = render_cpu_seconds()
        wrappers = [connections[alias].execute_wrapper(counter) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
            if response.streaming:
                # Drawn here, so that the time and queries of building a streamed body
                # (FHIR $everything) count; the client still receives it as one piece.
                response.streaming_content = [b"".join(response.streaming_content)]
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        # CPU read first: its interval lies inside the wall-time one.
        cpu_ms = (
            time.thread_time() - cpu_started + render_cpu_seconds() - render_cpu_started
        ) * 1000
        elapsed_ms = (time.perf_counter() - started) * 1000
        response["X-Query-Count"] = str(count)
        response["X-Server-Time-Ms"] = f"{elapsed_ms:.2f}"
        response["X-Server-Cpu-Ms"] = f"{cpu_ms:.2f}"
        return response
