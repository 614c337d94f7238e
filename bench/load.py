"""Benchmark: throughput under concurrency, with `fieldlog serve --workers 1` and `--workers 2`.

For each database (bench/databases.py) it starts the real server (`fieldlog serve
--workers N` on a free port) and, with 1 and with 8 concurrent clients (threads, each
with its own keep-alive connection, signed in by API token), asks for the mission
dashboard (/missions/MKD, head of mission) and the activity list (/activities, head of
mission) for `--seconds` each: requests per second, median and p95 in ms, errors. Then 8
concurrent writers each create activities through the API for `--seconds`: writes per
second, p95, every answer other than 201 counted, and lost records (a 201 whose record
is not in the database afterwards) counted. The writes are deleted afterwards by
rebuilding nothing: they are ordinary records titled "Load <run> ..." (the database is
a benchmark copy).

    .venv/bin/python bench/load.py --sizes 100000 --backends sqlite,postgres --workers 1,2

The target (issue 12): 8 readers get at least one reader's throughput × the cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from databases import DATA, FIELDLOG, build  # noqa: E402
from routes import tokens  # noqa: E402

READS = {"/missions/MKD": "/missions/MKD", "/activities": "/activities"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`fieldlog serve --workers N` on a free port, for the length of a with block."""

    def __init__(self, url: str, workers: int):
        self.url, self.workers, self.port = url, workers, free_port()

    def __enter__(self) -> Server:
        env = {**os.environ, "FIELDLOG_DATABASE_URL": self.url, "PYTHONPATH": str(ROOT)}
        command = [*FIELDLOG, "serve", "--port", str(self.port), "--workers", str(self.workers)]
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    time.sleep(1 + self.workers)  # every worker up, not only the first
                    return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("the server did not start")

    def __exit__(self, *_exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def run_clients(port: int, clients: int, seconds: float, request) -> dict:
    """`clients` threads each calling request(conn, n) until `seconds` have passed."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, seen = [], []
        barrier.wait()
        n = 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                status = request(conn, index, n)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            mine.append((time.perf_counter() - started) * 1000)
            seen.append(status)
            n += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.extend(seen)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop = time.perf_counter() + seconds + 0.0
    barrier.wait()
    began = time.perf_counter()
    stop = began + seconds
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies) or [float("nan")]
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "median": statistics.median(ordered),
        "p95": ordered[round(0.95 * (len(ordered) - 1))],
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
    }


def reader(path: str, token: str):
    headers = {"Authorization": f"Bearer {token}"}

    def request(conn, _index, _n) -> int:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status

    return request


def writer(token: str, run: str, created: list[int]):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(conn, index, n) -> int:
        body = {
            "mission": "MKD",
            "type": "meeting",
            "title": f"Load {run} {index}-{n}",
            "start": "2016-03-02",
            "dimension": "cross_dimensional",
            "response_area": "reporting_liaising",
            "meeting_kind": "coordination",
            "themes": ["regional_cooperation"],
            "locations": ["gevgelija"],
        }
        conn.request("POST", "/api/v1/activities", body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status == 201:
            created.append(json.loads(payload)["id"])
        return response.status

    return request


def stored(url: str, run: str) -> set[int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        ids = conn.execute(
            text("SELECT id FROM activities WHERE title LIKE :t"), {"t": f"Load {run} %"}
        ).scalars()
        found = set(ids)
    engine.dispose()
    return found


def measure(backend: str, size: int, workers: int, seconds: float) -> dict:
    url = build(size, backend)
    token = tokens(url)["head of mission"]
    results: dict[str, dict] = {}
    with Server(url, workers) as server:
        for name, path in READS.items():
            for clients in (1, 8):
                r = run_clients(server.port, clients, seconds, reader(path, token))
                results[f"{name} × {clients}"] = r
                print(
                    f"  {backend:8} {size:>9,} workers={workers} {name:15} clients={clients}: "
                    f"{r['per_second']:6.1f} req/s  median {r['median']:7.1f} ms  "
                    f"p95 {r['p95']:7.1f} ms  {r['statuses']}",
                    flush=True,
                )
        run, created = uuid.uuid4().hex[:8], []
        r = run_clients(server.port, 8, seconds, writer(token, run, created))
    lost = len(set(created) - stored(url, run))
    r |= {"lost": lost, "created": len(created)}
    results["writes × 8"] = r
    errors = sum(n for s, n in r["statuses"].items() if s != "201")
    print(
        f"  {backend:8} {size:>9,} workers={workers} writes          clients=8: "
        f"{r['per_second']:6.1f} writes/s median {r['median']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
        f"errors {errors} {r['statuses']}  lost {lost}",
        flush=True,
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            for workers in (int(w) for w in args.workers.split(",")):
                results = measure(backend, size, workers, args.seconds)
                with open(DATA / "load.jsonl", "a") as out:
                    out.write(
                        json.dumps(
                            {
                                "backend": backend,
                                "size": size,
                                "workers": workers,
                                "load_before": load,
                                "results": results,
                            }
                        )
                        + "\n"
                    )
    print(
        f"{os.cpu_count()} cores; load average {load:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end"
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
