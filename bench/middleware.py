"""Bench-only middleware (listed in `bench.settings`, never in `market.settings`)."""

import time

from django.db import connections


class BenchHeadersMiddleware:
    """Adds two headers that the load driver averages per scenario:

    - `X-Queries`: the SQL queries this request ran, sessions included (this middleware is
      the outermost one, so it counts what every other middleware does too). Counting uses
      `execute_wrapper`, which works with DEBUG off and costs next to nothing.
    - `X-CPU-ms`: CPU time the worker thread spent on the request (`time.thread_time`),
      SQLite's included, PostgreSQL's server side not. Unlike latency it barely moves when
      other processes share the machine, so it says what a page costs on any machine.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        wrappers = [conn.execute_wrapper(counter) for conn in connections.all(initialized_only=False)]
        started = time.thread_time()
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response["X-Queries"] = str(count[0])
        response["X-CPU-ms"] = f"{(time.thread_time() - started) * 1000:.1f}"
        return response
