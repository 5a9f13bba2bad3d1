"""A person's browser meanwhile: fetch one URL every 50 ms and sample a process's memory, in a process of its own; prints JSON.

    python bench/probe.py URL SECONDS PID     # stops early, and reports, on SIGTERM
"""

from __future__ import annotations

import http.client
import json
import signal
import sys
import time
from urllib.parse import urlsplit

from harness import rss_kib


def main() -> None:
    url, seconds, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    parts = urlsplit(url)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    peak = rss_kib(pid)
    deadline = time.monotonic() + seconds
    stop = False

    def on_term(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    while not stop and time.monotonic() < deadline:
        started = time.perf_counter()
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
        conn.request("GET", parts.path, headers={"Host": parts.netloc})
        response = conn.getresponse()
        response.read()
        conn.close()
        latencies.append(time.perf_counter() - started)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        peak = max(peak, rss_kib(pid))
        if not stop:
            time.sleep(max(0.0, 0.05 - (time.perf_counter() - started)))
    print(json.dumps({"latencies": latencies, "statuses": statuses, "peak_rss_kib": peak}))


if __name__ == "__main__":
    main()
