"""A Python stand-in for wrk (used only when wrk is not installed): POST each line of a requests file once, from N connections.

Runs in its own process, on loopback only, for at most --seconds and at most one request per
line; prints one JSON line shaped like bench/submit.lua's. Being Python, it needs CPU that the
server would otherwise have, so its numbers are lower than wrk's: RESULTS.md says which was used.
"""
from __future__ import annotations

import argparse
import http.client
import json
import threading
import time


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--requests", required=True, help="file of 'path<TAB>body[<TAB>Cookie]' lines")
    args = parser.parse_args(argv)

    with open(args.requests) as f:
        # path TAB body [TAB Cookie header] (bench/submit.lua reads the same lines)
        lines = [(line.rstrip("\n").split("\t", 2) + [""])[:3] for line in f if line.strip()]
    lock = threading.Lock()
    cursor = [0]
    latencies: list[float] = []
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    completed = [0]
    exhausted = [0]
    started = time.monotonic()
    deadline = started + args.seconds
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "close"}

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if cursor[0] >= len(lines):
                    exhausted[0] = 1
                    return
                path, body, cookie = lines[cursor[0]]
                cursor[0] += 1
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
                conn.request("POST", path, body=body, headers={**headers, "Cookie": cookie} if cookie else headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except TimeoutError:
                with lock:
                    errors["timeout"] += 1
                continue
            except OSError:
                with lock:
                    errors["read"] += 1
                continue
            elapsed = (time.perf_counter() - t0) * 1e6
            with lock:
                completed[0] += 1
                latencies.append(elapsed)
                if response.status > 399:
                    errors["status"] += 1

    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.seconds + 15)
    duration = time.monotonic() - started
    latencies.sort()
    print(json.dumps({
        "requests": completed[0], "duration_us": int(duration * 1e6), "sent": cursor[0], "exhausted_threads": exhausted[0],
        "errors": errors,
        "latency_us": {"p50": percentile(latencies, 50), "p90": percentile(latencies, 90), "p99": percentile(latencies, 99),
                       "max": latencies[-1] if latencies else 0, "mean": sum(latencies) / len(latencies) if latencies else 0},
    }))


if __name__ == "__main__":
    main()
