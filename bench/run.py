"""`make bench`: the API against a bare-Django baseline and a plain-DRF peer, under gunicorn
and wrk, on PostgreSQL.

    .venv/bin/python bench/run.py --sizes 100000 1000000 --duration 10 --connections 8 --out docs/

For each size: a database `ctht_bench_<size>` (created, migrated and filled by
`manage.py generate_data --statements SIZE --seed 1`; kept and reused when it
already holds exactly SIZE statements), `ANALYZE`, an in-process probe
(bench/probe.py: expected rows, the same statements on every server, deep cursor,
EXPLAIN of every query), an in-process profile of the API's statement endpoints by
layer (bench/profile.py), then three gunicorn servers of the same code
(bench.settings) — A answers the API URLs with its response cache off (the cold
path), B the baseline URLs, C the plain-DRF peer's (bench/peer.py) — each with 2
threaded workers (gthread, one thread, as production). Every size is prepared and
profiled first; then every size's servers run together, every endpoint is checked once
(200, expected rows), and each endpoint is measured with wrk on each server in turn
(the order rotates), each server's sizes back to back (warmed up first), so that a
ratio between sizes compares neighbouring runs. Then, size by size, the warm runs: A
again with its response cache on, in Redis, for a repeated anonymous page of 50 and
detail.
Last, the CSV export: one full download of `?format=csv` from A and from B,
timed, its rows counted, the serving worker's memory sampled (bench/README.md).
Results: docs/benchmarks.json, docs/benchmarks.md, docs/benchmarks.png
(bench/report.py). See bench/README.md.
"""

import argparse
import csv
import datetime
import http.client
import io
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402

PYTHON = sys.executable
LOGS = ROOT / "bench" / "logs"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = 50

# Endpoint name → what it asks. "params" are the query string, the same for the API
# (/api/v1/statements/) and the baseline (/baseline/statements/). Filled in by main().
# They run in this order: the deep page right after the first page, so that the target
# comparing them compares neighbouring runs (on a shared machine the same URL measured
# up to 20 % apart, either way, depending on when in a size's runs it came).
ENDPOINTS = {
    "detail": {"kind": "detail", "label": "statement detail"},
    "page_50": {"kind": "list", "label": "page of 50", "params": {}},
    "deep": {"kind": "deep", "label": "deep page (90%)", "params": {}},
    "page_500": {"kind": "list", "label": "page of 500", "params": {"page_size": "500"}},
    "country": {"kind": "list", "label": "country=RS"},
    "filtered": {"kind": "list", "label": "country+topic+date_after"},
    "q_common": {"kind": "list", "label": "q= common word"},
    "q_rare": {"kind": "list", "label": "q= rare word"},
    "countries": {"kind": "countries", "label": "/countries/", "params": {}},
    "stats": {"kind": "stats", "label": "stats (cached)"},
    # The change feed (issue 11): a mirror's first page, and a page halfway through the feed
    # (`since` = the cursor of its middle row, as a mirror halfway through its first sync).
    "feed_first": {
        "kind": "feed",
        "from": "start",
        "label": "feed, first page",
        "params": {"page_size": "50"},
    },
    "feed_mid": {
        "kind": "feed",
        "from": "middle",
        "label": "feed, page from the middle",
        "params": {"page_size": "50"},
    },
}
# The servers of a size: A serves the API, B the bare-Django baseline (bench/baseline.py),
# C the plain-DRF peer (bench/peer.py, statement endpoints only).
SERVERS = {"api": "A", "baseline": "B", "peer": "C"}
# Measured again on A with its response cache on (in Redis): a repeated anonymous request.
WARM_ENDPOINTS = ("page_50", "detail")
# The production gunicorn.conf.py: were its workers sync, one busy longer than its `timeout`
# would be killed, streaming or not (it only reports alive between requests); the CSV
# section then compares. Threaded workers (gthread) keep reporting: no limit applies.
PRODUCTION_GUNICORN = ROOT / "gunicorn.conf.py"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def fail(message: str) -> None:
    raise SystemExit(f"bench: FAILED: {message}")


# --- the database -------------------------------------------------------------------------


def db_url(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}"


def server_env(database_url: str, redis_url: str | None = None) -> dict:
    """The environment of a server or an in-process step. Cold (the default): the API's
    response cache off and no Redis; warm: the cache on, in Redis at `redis_url`."""
    # One database, measured alone: no replicas a shell might have set (issue 15's router).
    dropped = {"CONN_MAX_AGE", "PORT", "REDIS_URL", "API_RESPONSE_CACHE", "DATABASE_REPLICA_URLS"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        API_RESPONSE_CACHE="on" if redis_url else "off",
        **({"REDIS_URL": redis_url} if redis_url else {}),
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        # Long enough for the production check; thrown away with the run.
        SECRET_KEY="bench-throwaway-key-not-a-secret-" + "0123456789abcdefghijklmnopqrstuvwxyz",
        # Plain HTTP on the loopback: no redirect to HTTPS.
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        # wrk sends thousands of requests a second from one address: measure the API,
        # not the rate limits (which would answer 429 after the first 120).
        RATE_LIMIT_ANON="off",
        RATE_LIMIT_READ="off",
        RATE_LIMIT_WRITE="off",
    )
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        fail(f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def statement_count(url: str) -> int | None:
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM events_statement").fetchone()[0]
    except psycopg.Error:
        return None


def feed_is_empty(url: str) -> bool:
    """A database generated before the change feed existed has none: it is regenerated."""
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT NOT EXISTS (SELECT 1 FROM changes_change)").fetchone()[0]
    except psycopg.Error:
        return True


def prepare_database(base: str, size: int, seed: int, fresh: bool, prefix: str) -> dict:
    name = f"{prefix}{size}"
    url = db_url(base, name)
    env = server_env(url)
    info = {"name": name, "regenerated": False}
    with psycopg.connect(db_url(base, "postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        count = statement_count(url) if exists else None
        if exists and count == size and feed_is_empty(url):
            log(f"{name}: has no change feed (generated before it existed): dropping it")
            fresh = True
        if exists and (fresh or count != size):
            log(f"{name}: holds {count} statements, not {size}: dropping it")
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    log(f"{name}: migrate")
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    count = statement_count(url)
    if count != size:
        log(f"{name}: generate_data --statements {size} --seed {seed}")
        started = time.perf_counter()
        out = manage(env, "generate_data", "--statements", str(size), "--seed", str(seed))
        seconds = time.perf_counter() - started
        info.update(regenerated=True, generate_seconds=round(seconds, 1), generate_output=out)
        log(f"{name}: generated in {seconds:.0f} s: {out.strip()}")
        if (count := statement_count(url)) != size:
            fail(f"{name} holds {count} statements after generate_data, not {size}")
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        # After a bulk load VACUUM sets the visibility map too (index-only scans);
        # a reused database only needs fresh statistics.
        conn.execute("VACUUM (ANALYZE)" if info["regenerated"] else "ANALYZE")
        info["pg_database_size"] = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()[0]
    info["analyze_seconds"] = round(time.perf_counter() - started, 1)
    info["url"] = url
    return info


def probe(database_url: str, request: dict, redis_url: str | None = None) -> dict:
    """bench/probe.py in-process on the database: cold (expected rows, queries, plans), or
    with `{"warm": paths}` and the warm environment, whether a second answer is cached."""
    result = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "probe.py")],
        cwd=ROOT,
        env=server_env(database_url, redis_url),
        input=json.dumps(request),
        capture_output=True,
        text=True,
    )
    if result.returncode:
        fail(f"probe:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def feed_write(database_url: str, repeat: int) -> dict:
    """The fan-out's write cost (bench/feed_write.py): an institution renamed, rolled back."""
    result = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "feed_write.py")],
        cwd=ROOT,
        env=server_env(database_url),
        input=json.dumps({"repeat": repeat}),
        capture_output=True,
        text=True,
    )
    if result.returncode:
        fail(f"feed_write:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def profile(database_url: str, paths: dict, args, redis_url: str | None = None) -> dict:
    """bench/profile.py: the API's per-request CPU by layer, in-process: cold, or warm
    with `redis_url` (the warm runs' environment)."""
    request = {"paths": paths, "requests": args.profile_requests, "seconds": args.profile_seconds}
    result = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "profile.py")],
        cwd=ROOT,
        env=server_env(database_url, redis_url),
        input=json.dumps(request),
        capture_output=True,
        text=True,
    )
    if result.returncode:
        fail(f"profile:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def flush_redis(url: str) -> None:
    """Empty the Redis database of the warm runs (its number is in the URL)."""
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError as error:
        fail(f"Redis at {url}: {error} (the warm runs need it; leave them out with --no-warm)")


# --- the servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn (master + threaded workers, as in production) on loopback, started and
    stopped by us."""

    running: list["Server"] = []  # started and not yet stopped (`drain` waits for them all)

    def __init__(
        self,
        name: str,
        database_url: str,
        workers: int,
        logfile: Path,
        redis_url: str | None = None,
    ):
        self.name, self.workers, self.port = name, workers, free_port()
        self.database_url = database_url
        self.database = urlsplit(database_url).path.lstrip("/")
        self.logfile = logfile.open("w")
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "ctht_api.wsgi:application",
                "--config",
                str(ROOT / "bench" / "gunicorn_conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=server_env(database_url, redis_url),
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        Server.running.append(self)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                fail(f"server {self.name} exited; see {self.logfile.name}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        fail(f"server {self.name} not ready after {timeout} s; see {self.logfile.name}")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        if self in Server.running:
            Server.running.remove(self)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.logfile.close()


def proc_stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(proc_stat(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return sorted(found)


def process_ticks(pid: int) -> int:
    """utime + stime of one process; OSError when it is gone."""
    fields = proc_stat(pid)
    return int(fields[11]) + int(fields[12])


def cpu_ticks(pids: list[int]) -> int:
    """utime + stime (fields 14 and 15 of /proc/<pid>/stat) summed over pids."""
    total = 0
    for pid in pids:
        try:
            fields = proc_stat(pid)
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total


class BackendCpu:
    """CPU of the PostgreSQL backends serving one database while a run lasts.

    Backends come and go (CONN_MAX_AGE recycles a worker's connection every
    minute), so /proc is sampled every 0.2 s and each backend counts from its
    first sample (0 when born during the run) to its last. A backend is found
    by its process title, `postgres: [<cluster>: ]<user> <database> <host>(<port>) <state>`.
    """

    def __init__(self, database: str):
        self.title = re.compile(rf"^postgres: (?:[^:]+: )?\S+ {re.escape(database)} ")
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.stopping = threading.Event()
        self.sample(initial=True)
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def sample(self, initial: bool = False) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                if pid not in self.first:
                    title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode()
                    if not self.title.match(title):
                        continue
                    self.first[pid] = process_ticks(pid) if initial else 0
                # A backend that exits between the listing and the read raises here (and
                # is skipped): its last reading stands, rather than a 0 (a negative CPU).
                self.last[pid] = max(self.last.get(pid, 0), process_ticks(pid))
            except (OSError, UnicodeDecodeError, ValueError, IndexError):
                continue

    def loop(self) -> None:
        while not self.stopping.wait(0.2):
            self.sample()

    def stop(self) -> float:
        """Seconds of CPU used by the database's backends since the start."""
        self.stopping.set()
        self.thread.join()
        self.sample()
        return (
            sum(self.last.get(pid, self.first[pid]) - self.first[pid] for pid in self.first)
            / CLOCK_TICKS
        )


def reset_peak_memory(pids: list[int]) -> bool:
    """Reset VmHWM to the current RSS (writing 5 to clear_refs), so a peak is per endpoint."""
    try:
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def status_kib(pid: int, field: str) -> int:
    """A memory line of /proc/<pid>/status (VmRSS: now, VmHWM: peak), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def peak_memory_kib(pid: int) -> int:
    return status_kib(pid, "VmHWM")


# --- the load ------------------------------------------------------------------------------


def check(url: str, expected_rows: int, expected_total: int | None = None) -> None:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            status, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        fail(f"{url} answered {error.code}: {error.read()[:500]!r}")
    rows = len(body["results"]) if "results" in body else (1 if "id" in body else 0)
    if status != 200 or rows != expected_rows:
        fail(f"{url} answered {status} with {rows} rows; expected 200 with {expected_rows}")
    if expected_total is not None and body.get("total") != expected_total:
        fail(f"{url} answered total {body.get('total')}; expected {expected_total}")


def wrk(url: str, seconds: int, connections: int, threads: int, logname: str) -> dict:
    # A request counts as an error after 120 s: the baseline's uncached aggregates at
    # 1,000,000 statements take several seconds each, and 8 connections queue 4 deep on
    # 2 workers, so their latency nears a minute; no answer within 120 s is a real fault.
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "120s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "report.lua"),
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    (LOGS / f"{logname}.txt").write_text(" ".join(command) + "\n" + result.stdout + result.stderr)
    match = re.search(r"^BENCH_JSON (.*)$", result.stdout, re.M)
    if result.returncode or not match:
        fail(f"wrk on {url}:\n{result.stdout}\n{result.stderr}")
    return json.loads(match.group(1))


def drain(server: Server, timeout: float = 300) -> float:
    """Wait until every running server has finished what wrk left in flight (a request wrk
    gave up on still runs to its end, in the worker and in PostgreSQL); return the seconds
    waited. Every server, not only `server`: the sizes' servers run side by side, and a
    slow page of the peer's at one size (seconds of PostgreSQL each) would otherwise
    share the cores with the next run at the other size."""
    started = time.monotonic()
    servers = [s for s in Server.running if s.process.poll() is None] or [server]
    databases = sorted({s.database for s in servers})

    def pids() -> list[int]:
        return [pid for s in servers for pid in s.worker_pids()]

    with psycopg.connect(server.database_url, autocommit=True) as conn:
        ticks = cpu_ticks(pids())
        while time.monotonic() - started < timeout:
            time.sleep(0.5)
            active = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(%s) "
                "AND state = 'active' AND pid <> pg_backend_pid()",
                [databases],
            ).fetchone()[0]
            now = cpu_ticks(pids())
            if not active and now == ticks:
                return time.monotonic() - started
            ticks = now
    fail(f"servers still busy {timeout} s after the load on {server.name} stopped")


def measure_once(server: Server, url: str, seconds: int, args, logname: str) -> dict:
    drain(server)
    workers = server.worker_pids()
    peak_reset = reset_peak_memory(workers)
    backends = BackendCpu(server.database)
    before = cpu_ticks(workers)
    stats = wrk(url, seconds, args.connections, args.threads, logname)
    after = cpu_ticks(workers)
    db_seconds = backends.stop()
    if server.worker_pids() != workers:
        fail(f"server {server.name}'s workers changed during {url}: see {server.logfile.name}")
    if stats["errors"]["status"] or stats["errors"]["timeout"] or stats["errors"]["connect"]:
        fail(f"{url}: wrk saw errors {stats['errors']} (see bench/logs/{logname}.txt)")
    requests = max(stats["requests"], 1)
    stats.update(
        worker_cpu_s_per_1k=(after - before) / CLOCK_TICKS / requests * 1000,
        db_cpu_s_per_1k=db_seconds / requests * 1000,
        peak_worker_mib=max(peak_memory_kib(pid) for pid in workers) / 1024,
        peak_is_per_endpoint=peak_reset,
        loadavg_after=Path("/proc/loadavg").read_text().split()[0],
    )
    return stats


def sides_of(probe_entry: dict) -> list[tuple[str, str, int]]:
    """(server, path, expected rows) of an endpoint: A and B, and C where the peer serves it."""
    sides = [
        ("api", probe_entry["api_path"], probe_entry["expected_rows"]),
        ("baseline", probe_entry["baseline_path"], probe_entry["expected_rows"]),
    ]
    if "peer_path" in probe_entry:
        sides.append(("peer", probe_entry["peer_path"], probe_entry["peer_expected_rows"]))
    return sides


def bench_warm(url: str, size: int, names: list[str], cold: dict, args) -> dict:
    """The warm path: A started again with its response cache on (API_RESPONSE_CACHE=on,
    REDIS_URL: a Redis database emptied first), the same anonymous request repeated;
    before it, the in-process profile of those requests by layer (bench/profile.py).

    The probe requests each path twice in-process with that environment: a second
    answer running as many queries as the first was not served from a cache (the
    feature is missing, or off), and the report says so."""
    paths = {name: cold[name]["api_path"] for name in names}
    flush_redis(args.redis_url)
    probed = probe(url, {"warm": list(paths.values())}, args.redis_url)["warm"]
    section = {"redis_url": args.redis_url, "endpoints": {}}
    if args.profile_requests:
        # Where a cached answer's time goes, by layer: the same profile as the cold one.
        log(f"{size:,}: profile of the warm path by layer ({len(paths)} endpoints)")
        section["profile"] = profile(url, paths, args, args.redis_url)
    flush_redis(args.redis_url)
    server = Server("A (warm)", url, args.workers, LOGS / f"{size}-api-warm.log", args.redis_url)
    try:
        server.wait_ready()
        for name, path in paths.items():
            check(server.base + path, cold[name]["expected_rows"])
            if args.warmup > 0:
                wrk(
                    server.base + path,
                    args.warmup,
                    args.connections,
                    args.threads,
                    f"{size}-{name}-api-warm-warmup",
                )
            stats = measure(server, server.base + path, args, f"{size}-{name}-api-warm")
            entry = {
                "label": cold[name]["label"],
                "api_path": path,
                "api": stats,
                "probe": probed[path],
                "cached": probed[path]["cached"],
                "ratio_rps": stats["rps"] / cold[name]["baseline"]["rps"],
                "ratio_cold": stats["rps"] / cold[name]["api"]["rps"],
            }
            section["endpoints"][name] = entry
            log(
                f"{size:,} {name:>9} warm: A {stats['rps']:8.1f} req/s p50 "
                f"{stats['p50_us'] / 1000:7.1f} ms | ÷ B (cold) {entry['ratio_rps']:.2f} | "
                f"÷ A cold {entry['ratio_cold']:.2f} | "
                + ("cached" if entry["cached"] else "NOT cached (as many queries as cold)")
            )
    finally:
        server.stop()
    return section


def measure(server: Server, url: str, args, logname: str) -> dict:
    """One wrk run; a longer one when too few requests finished for percentiles to mean much."""
    stats = measure_once(server, url, args.duration, args, logname)
    if stats["requests"] < args.min_requests and args.duration < args.long_duration:
        log(
            f"  {url}: {stats['requests']} requests in {args.duration} s; again for "
            f"{args.long_duration} s"
        )
        stats = measure_once(server, url, args.long_duration, args, logname)
        stats["extended"] = True
    if stats["requests"] == 0:
        fail(f"{url}: no request finished in {args.long_duration} s")
    return stats


def prepare_size(size: int, args, chosen_params: dict) -> dict:
    """A size's database, probe and in-process profile (before any server runs: the
    quietest moment of the run). Returns what the later phases need: its database URL,
    endpoints, probe, and `result` (the size's section of benchmarks.json)."""
    info = prepare_database(args.db_url, size, args.seed, args.fresh, args.db_prefix)
    url = info.pop("url")
    endpoints = {name: json.loads(json.dumps(ENDPOINTS[name])) for name in args.endpoints}
    params = {
        "country": {"country": args.country},
        "filtered": {"country": args.country, "topic": args.topic, "date_after": args.date_after},
        "q_common": {"q": args.common_word},
        "q_rare": {"q": args.rare_word},
        "stats": {"group_by": args.stats_group_by},
    }
    for name, value in params.items():
        if name in endpoints:
            endpoints[name]["params"] = value
    if "stats" in endpoints:
        endpoints["stats"]["label"] = f"stats by {args.stats_group_by}"
    chosen_params.update({name: spec.get("params") for name, spec in endpoints.items()})

    log(f"{info['name']}: probe (expected rows, deep cursor, EXPLAIN)")
    probed = probe(url, {"endpoints": endpoints, "deep_fraction": args.deep_fraction})
    result = {
        "database": info,
        "corpus": probed["corpus"],
        "chosen": probed["chosen"],
        "loadavg_before": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "endpoints": {},
    }
    statement_paths = {
        name: entry["api_path"]
        for name, entry in probed["endpoints"].items()
        if "peer_path" in entry
    }
    if args.profile_requests and statement_paths:
        log(f"{info['name']}: profile of the API by layer ({len(statement_paths)} endpoints)")
        result["profile"] = profile(url, statement_paths, args)
    return {
        "size": size,
        "url": url,
        "name": info["name"],
        "endpoints": endpoints,
        "probed": probed,
        "result": result,
        "servers": {},
    }


def start_servers(run: dict, args) -> None:
    """A, B and C on the size's database, each endpoint checked once on each."""
    size, url, servers = run["size"], run["url"], run["servers"]
    for side, name in SERVERS.items():
        servers[side] = Server(f"{name} ({size:,})", url, args.workers, LOGS / f"{size}-{side}.log")
    for server in servers.values():
        server.wait_ready()
    for probe_entry in run["probed"]["endpoints"].values():
        for side, path, rows in sides_of(probe_entry):
            check(servers[side].base + path, rows, probe_entry.get("expected_total"))
    if args.csv and size == args.sizes[0]:
        # Once, at the first size: a missing export stops the run before the load
        # runs rather than after them. (The download itself checks every size.)
        check_csv(servers["api"].base + "/api/v1/statements/?format=csv")
    log(
        f"{run['name']}: servers "
        + ", ".join(f"{server.name} :{server.port}" for server in servers.values())
    )


def measure_endpoints(runs: list[dict], args) -> None:
    """The cold runs, every size's servers up together. For each endpoint, each server in
    turn (the order rotates: A B C, B C A, C A B), and for each server every size back to
    back (which size first alternates from one endpoint to the next): a ratio between
    sizes compares runs seconds apart, as a ratio between servers does. (Each size in
    its own half hour, the same URL measured up to 20 % apart on a shared machine.)"""
    for index, name in enumerate(runs[0]["probed"]["endpoints"]):
        sides = [side for side, _, _ in sides_of(runs[0]["probed"]["endpoints"][name])]
        order = sides[index % len(sides) :] + sides[: index % len(sides)]
        size_order = runs if index % 2 == 0 else runs[::-1]
        for run in runs:
            probe_entry = run["probed"]["endpoints"][name]
            run["result"]["endpoints"][name] = {
                "label": run["endpoints"][name]["label"],
                "params": run["endpoints"][name].get("params"),
                "expected_rows": probe_entry["expected_rows"],
                **{f"{side}_path": path for side, path, _ in sides_of(probe_entry)},
                "order": order,
                "size_order": [r["size"] for r in size_order],
            }
        for side in order:
            for run in size_order:
                size, server = run["size"], run["servers"][side]
                probe_entry = run["probed"]["endpoints"][name]
                url = server.base + run["result"]["endpoints"][name][f"{side}_path"]
                if args.warmup > 0:
                    wrk(
                        url,
                        args.warmup,
                        args.connections,
                        args.threads,
                        f"{size}-{name}-{side}-warmup",
                    )
                stats = measure(server, url, args, f"{size}-{name}-{side}")
                # What the probe saw in-process: queries, plans, first request's time and,
                # for stats, a second request's (the API's from its cache).
                stats.update({k: v for k, v in probe_entry[side].items() if k not in stats})
                run["result"]["endpoints"][name][side] = stats
        for run in runs:
            entry = run["result"]["endpoints"][name]
            entry["ratio_rps"] = entry["api"]["rps"] / entry["baseline"]["rps"]
            line = (
                f"{run['name']} {name:>9}: A {entry['api']['rps']:8.1f} req/s "
                f"p50 {entry['api']['p50_us'] / 1000:7.1f} ms | B {entry['baseline']['rps']:8.1f} "
                f"req/s p50 {entry['baseline']['p50_us'] / 1000:7.1f} ms | "
                f"A/B {entry['ratio_rps']:.2f}"
            )
            if "peer" in entry:
                entry["ratio_peer"] = entry["api"]["rps"] / entry["peer"]["rps"]
                line += (
                    f" | C {entry['peer']['rps']:8.1f} req/s p50 "
                    f"{entry['peer']['p50_us'] / 1000:7.1f} ms | A/C {entry['ratio_peer']:.2f}"
                )
            log(line)


def finish_size(run: dict, args) -> None:
    """After the cold runs: the warm path, the feed write and the CSV downloads of one
    size, on its servers (the other sizes' servers stay up, idle); its servers stopped."""
    size, url, servers, result = run["size"], run["url"], run["servers"], run["result"]
    try:
        servers.pop("peer").stop()
        warm_names = [name for name in WARM_ENDPOINTS if name in result["endpoints"]]
        if args.warm and warm_names:
            # What the last load run left in flight finishes first: the warm profile runs
            # in-process beside these servers (once it shared the CPU with them, and its
            # first endpoint measured seven times its own cost).
            for server in servers.values():
                drain(server)
            result["warm"] = bench_warm(url, size, warm_names, result["endpoints"], args)

        if args.feed_write:
            # After the load runs: each rename is rolled back, but leaves dead feed rows.
            log(f"{run['name']}: feed write (an institution renamed, {args.feed_write}x)")
            result["feed_write"] = written = feed_write(url, args.feed_write)
            log(
                f"{run['name']} feed write: {written['statements']:,} statements show the "
                f"institution, {written['feed_rows']:,} feed rows, {written['ms']:.0f} ms "
                f"(feed statements {written['feed_ms']:.0f} ms)"
            )

        if args.csv:
            # Last: a download grows a worker's memory, which would show in the peaks of
            # the endpoints measured after it. On servers started afresh: the peak is
            # what serving the download takes, not what the load runs before it left in
            # a worker's heap (pages of 500, uncached aggregates: tens of MB that Python
            # keeps); the RSS before it is the fresh worker's.
            for side, server in list(servers.items()):
                server.stop()
                servers[side] = Server(
                    server.name, url, args.workers, LOGS / f"{size}-{side}-csv.log"
                )
            for server in servers.values():
                server.wait_ready()
            expected = run["probed"]["corpus"]["visible_statements"]
            result["csv"] = bench_csv(servers, size, expected, args)
    finally:
        stop_servers(run)


def stop_servers(run: dict) -> None:
    for server in run["servers"].values():
        server.stop()
    run["servers"].clear()


# --- the CSV export ------------------------------------------------------------------------


class CsvFailure(Exception):
    """A CSV download that did not give what it must: recorded, reported, exit status 1."""


def mb(kib: float) -> float:
    """KiB (what /proc reports) to MB of 10^6 bytes, the unit of the issue's 200 MB limit."""
    return kib * 1024 / 1e6


def production_timeout() -> int | None:
    """`timeout` of the production gunicorn.conf.py (seconds) when its workers are sync
    (the only kind it cuts a long download short on), read without importing it."""
    text = PRODUCTION_GUNICORN.read_text()
    worker = re.search(r"^worker_class\s*=\s*[\"'](\w+)[\"']", text, re.M)
    if worker and worker.group(1) != "sync":
        return None
    match = re.search(r"^timeout\s*=\s*(\d+)", text, re.M)
    return int(match.group(1)) if match else None


class RssSampler:
    """VmRSS of each worker, every `interval` seconds while a download lasts (a thread).

    VmHWM (reset through clear_refs before the download) gives the exact peak; the
    samples give it too where clear_refs is not allowed, and show the shape: memory
    that grows with the rows downloaded is not constant.
    """

    def __init__(self, pids: list[int], interval: float):
        self.pids, self.interval = pids, interval
        self.peak = dict.fromkeys(pids, 0)
        self.series: dict[int, list[tuple[float, int]]] = {pid: [] for pid in pids}
        self.samples = 0
        self.started = time.monotonic()
        self.stopping = threading.Event()
        self.sample()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        at = time.monotonic() - self.started
        for pid in self.pids:
            try:
                kib = status_kib(pid, "VmRSS")
            except OSError:
                continue
            self.peak[pid] = max(self.peak[pid], kib)
            self.series[pid].append((at, kib))
        self.samples += 1

    def loop(self) -> None:
        while not self.stopping.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
        self.sample()

    def curve(self, pid: int, points: int = 60) -> list[list[float]]:
        """The worker's RSS over the download, at most `points` [seconds, MB] (max per bucket)."""
        series = self.series[pid]
        if not series:
            return []
        width = max(series[-1][0] / points, self.interval)
        buckets: dict[int, tuple[float, int]] = {}
        for at, kib in series:
            slot = int(at / width)
            if slot not in buckets or kib > buckets[slot][1]:
                buckets[slot] = (at, kib)
        return [[round(at, 2), round(mb(kib), 1)] for at, kib in buckets.values()]


class CountingReader(io.RawIOBase):
    """An HTTP response body as a raw stream: counts bytes, notes when the first came."""

    def __init__(self, response: http.client.HTTPResponse):
        self.response, self.bytes, self.first_byte_at = response, 0, None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.response.readinto(buffer)
        if n and self.first_byte_at is None:
            self.first_byte_at = time.perf_counter()
        self.bytes += n or 0
        return n


def check_csv(url: str) -> None:
    """The CSV export exists: 200 and text/csv. Reads the first 64 KiB only and hangs up
    (the worker stops at its next write; drain() waits for it before the next run)."""
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            content_type = response.headers.get("Content-Type", "")
            response.read(65536)
    except urllib.error.HTTPError as error:
        fail(
            f"{url} answered {error.code}: this checkout has no CSV export. Merge the "
            "branch that adds it, or leave the CSV out (bench/run.py --no-csv)"
        )
    except OSError as error:
        fail(f"{url}: no answer ({error})")
    if not content_type.startswith("text/csv"):
        fail(f"{url} answered {content_type!r}, not text/csv (is the CSV export merged?)")


def download_csv(server: Server, path: str, timeout: float) -> dict:
    """One full download, parsed as it arrives (a text cell may hold line breaks, so rows
    are counted by csv.reader, not by lines); nothing is kept but the counts."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        started = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        if response.status != 200:
            raise CsvFailure(f"{path} answered {response.status}: {response.read(500)!r}")
        content_type = response.getheader("Content-Type", "")
        if not content_type.startswith("text/csv"):
            raise CsvFailure(f"{path} answered {content_type!r}, not text/csv")
        raw = CountingReader(response)
        text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding="utf-8", newline="")
        reader = csv.reader(text)
        header = next(reader, [])
        rows = sum(1 for _ in reader)
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    if not header:
        raise CsvFailure(f"{path} answered an empty body: no header row")
    bom = bool(header) and header[0].startswith("\ufeff")
    if bom:
        header[0] = header[0][1:]
    return {
        "rows": rows,
        "bytes": raw.bytes,
        "seconds": seconds,
        "first_byte_s": (raw.first_byte_at or started) - started,
        "rows_per_s": rows / seconds if seconds else 0,
        "content_type": content_type,
        "content_disposition": response.getheader("Content-Disposition"),
        "transfer_encoding": response.getheader("Transfer-Encoding"),
        "bom": bom,
        "columns": header,
    }


def measure_csv(server: Server, path: str, expected_rows: int, args) -> dict:
    """One download of every visible statement as CSV, with the serving worker's memory.

    The worker that served it is the one whose CPU time grew (the other sat idle).
    Its peak is VmHWM after a reset to the current RSS (`clear_refs`), checked against
    VmRSS sampled every `--csv-sample-ms`; both are in the results.
    """
    drain(server)
    workers = server.worker_pids()
    rss_before = {pid: status_kib(pid, "VmRSS") for pid in workers}
    peak_reset = reset_peak_memory(workers)
    ticks = {pid: cpu_ticks([pid]) for pid in workers}
    backends = BackendCpu(server.database)
    sampler = RssSampler(workers, args.csv_sample_ms / 1000)
    errors = []
    result: dict = {"path": path, "expected_rows": expected_rows}
    try:
        result.update(download_csv(server, path, args.csv_timeout))
    except (CsvFailure, OSError, http.client.HTTPException, csv.Error) as error:
        errors.append(f"download failed: {type(error).__name__}: {error}")
    finally:
        sampler.stop()
        db_seconds = backends.stop()
    hwm = {}
    for pid in workers:
        try:
            hwm[pid] = status_kib(pid, "VmHWM") if peak_reset else 0
        except OSError:  # the worker died
            hwm[pid] = 0
    spent = {pid: cpu_ticks([pid]) - ticks[pid] for pid in workers}
    dead = [pid for pid in workers if pid not in server.worker_pids()]
    if dead:
        errors.append(
            f"worker {dead} died during the download (gunicorn's timeout, or out of memory?): "
            f"see {server.logfile.name}"
        )
    served_by = dead[0] if dead else max(spent, key=spent.get)
    peak_kib = max(hwm[served_by], sampler.peak[served_by])
    result.update(
        worker_pid=served_by,
        rss_before_mb=mb(rss_before[served_by]),
        peak_rss_mb=mb(peak_kib),
        vmhwm_mb=mb(hwm[served_by]) if peak_reset else None,
        sampled_peak_mb=mb(sampler.peak[served_by]),
        other_workers_peak_mb=max(
            (mb(max(hwm[pid], sampler.peak[pid])) for pid in workers if pid != served_by),
            default=None,
        ),
        samples=sampler.samples,
        sample_interval_ms=args.csv_sample_ms,
        rss_curve=sampler.curve(served_by),
        worker_cpu_s=None if dead else spent[served_by] / CLOCK_TICKS,
        db_cpu_s=db_seconds,
        loadavg_after=Path("/proc/loadavg").read_text().split()[0],
    )
    if "rows" in result and result["rows"] != expected_rows:
        errors.append(
            f"{result['rows']:,} rows downloaded, {expected_rows:,} statements visible: "
            "the export must hold every visible statement"
        )
    if errors:
        result["error"] = "; ".join(errors)
    return result


def bench_csv(servers: dict, size: int, expected_rows: int, args) -> dict:
    """The CSV section of one size: a download from each side, and the memory limit."""
    section = {"expected_rows": expected_rows, "limit_mb": args.csv_rss_limit}
    for side in args.csv_sides:
        server = servers[side]
        path = ("/api/v1/statements/" if side == "api" else "/baseline/statements/") + (
            "?format=csv"
        )
        entry = measure_csv(server, path, expected_rows, args)
        section[side] = entry
        if side == "api":
            # The limit is the API's; the baseline's peak is reported beside it.
            entry["limit_ok"] = entry["peak_rss_mb"] < args.csv_rss_limit
            if not entry["limit_ok"]:
                over = (
                    f"peak worker RSS {entry['peak_rss_mb']:.0f} MB, over the "
                    f"{args.csv_rss_limit:g} MB limit"
                )
                entry["error"] = "; ".join(filter(None, [entry.get("error"), over]))
        name = f"{size:,} CSV {server.name}"
        if "error" in entry:
            log(f"{name}: FAIL: {entry['error']}")
        else:
            log(
                f"{name}: {entry['rows']:,} rows, {entry['bytes'] / 1e6:.1f} MB in "
                f"{entry['seconds']:.1f} s ({entry['rows_per_s']:,.0f} rows/s), peak worker "
                f"RSS {entry['peak_rss_mb']:.0f} MB (before: {entry['rss_before_mb']:.0f} MB)"
            )
    api, base = section.get("api", {}), section.get("baseline", {})
    if "rows_per_s" in api and "rows_per_s" in base and "error" not in api | base:
        section["ratio_rows_per_s"] = api["rows_per_s"] / base["rows_per_s"]
    return section


def csv_failures(results: dict) -> list[str]:
    return [
        f"{int(size):,} statements, CSV {side}: {section[side]['error']}"
        for size, data in results["sizes"].items()
        if (section := data.get("csv"))
        for side in ("api", "baseline")
        if "error" in section.get(side, {})
    ]


# --- the machine ---------------------------------------------------------------------------


def machine(base: str) -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    with psycopg.connect(db_url(base, "postgres")) as conn:
        postgres = conn.execute("SELECT version()").fetchone()[0]

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip()

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "postgres": postgres,
        "python": platform.python_version(),
        "wrk": wrk_version.splitlines()[0] if wrk_version else "",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument(
        "--db-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432"),
        help="server URL without database name (default: $BENCH_DATABASE_URL or local postgres)",
    )
    parser.add_argument(
        "--db-prefix",
        default="ctht_bench_",
        help="database name prefix: a size's database is <prefix><size> (default ctht_bench_)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop and regenerate the databases")
    parser.add_argument("--country", default="RS")
    parser.add_argument("--topic", default="online-recruitment")
    parser.add_argument("--date-after", default="2024-01-01")
    parser.add_argument("--common-word", default="trafficking")
    parser.add_argument("--rare-word", default="blockchain")
    parser.add_argument("--deep-fraction", type=float, default=0.9)
    parser.add_argument(
        "--stats-group-by",
        default="country,month",
        help="group_by of the stats endpoint (default country,month)",
    )
    parser.add_argument(
        "--no-csv",
        dest="csv",
        action="store_false",
        help="skip the CSV export (one full download per size from each server)",
    )
    parser.add_argument(
        "--csv-sides",
        nargs="+",
        choices=["api", "baseline"],
        default=["api", "baseline"],
        help="which servers' CSV to download (default both)",
    )
    parser.add_argument(
        "--csv-rss-limit",
        type=float,
        default=200,
        help="peak RSS (MB) the API worker must stay under while streaming the CSV (200)",
    )
    parser.add_argument(
        "--csv-sample-ms", type=int, default=50, help="VmRSS sampling period of the CSV (50)"
    )
    parser.add_argument(
        "--csv-timeout",
        type=float,
        default=600,
        help="seconds the CSV client waits on a read before giving up (600)",
    )
    parser.add_argument(
        "--feed-write",
        type=int,
        default=3,
        metavar="N",
        help="rename the institution most statements show N times, each rolled back, and "
        "time the change feed's fan-out (default 3; 0 skips it)",
    )
    parser.add_argument(
        "--no-warm",
        dest="warm",
        action="store_false",
        help="skip the warm runs (A with its response cache on, in Redis)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        help="Redis database of the warm runs, emptied before them "
        "(default: $BENCH_REDIS_URL or redis://127.0.0.1:6379/13)",
    )
    parser.add_argument(
        "--profile-requests",
        type=int,
        default=200,
        metavar="N",
        help="requests per statement endpoint profiled by layer in-process (bench/profile.py; "
        "default 200, fewer when --profile-seconds runs out; 0 skips it)",
    )
    parser.add_argument(
        "--profile-seconds",
        type=float,
        default=2,
        help="at most this long per endpoint profiled (default 2)",
    )
    parser.add_argument(
        "--min-requests",
        type=int,
        default=20,
        help="a run that finishes fewer requests is redone for --long-duration seconds",
    )
    parser.add_argument("--long-duration", type=int, default=60)
    parser.add_argument(
        "--endpoints",
        nargs="+",
        choices=list(ENDPOINTS),
        default=list(ENDPOINTS),
        help="measure only these (default: all)",
    )
    args = parser.parse_args()

    if not shutil.which("wrk"):
        fail("wrk is not installed (apt-get install -y wrk; `make bench` does it)")
    if urlsplit(args.db_url).path not in {"", "/"}:
        fail("--db-url is the server's URL, without a database name")
    LOGS.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = {
        "machine": machine(args.db_url),
        "config": {
            "sizes": args.sizes,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "workers_per_server": args.workers,
            "worker_class": "gthread (1 thread, as production)",
            "seed": args.seed,
            "deep_fraction": args.deep_fraction,
            "page_size": PAGE_SIZE,
            "min_requests": args.min_requests,
            "long_duration_s": args.long_duration,
            "stats_group_by": args.stats_group_by,
            "csv": args.csv,
            "csv_sides": args.csv_sides,
            "csv_rss_limit_mb": args.csv_rss_limit,
            "csv_sample_ms": args.csv_sample_ms,
            "production_timeout_s": production_timeout(),
            "feed_write_repeat": args.feed_write,
            "warm": args.warm,
            "redis_url": args.redis_url if args.warm else None,
            "profile_requests": args.profile_requests,
            "profile_seconds": args.profile_seconds,
        },
        "params": {},
        "sizes": {},
    }
    # Every size prepared and profiled first, then the cold runs with every size's servers
    # up (measure_endpoints), then each size's warm path, feed write and CSV.
    runs = []
    try:
        for size in args.sizes:
            runs.append(prepare_size(size, args, results["params"]))
            results["sizes"][str(size)] = runs[-1]["result"]
        for run in runs:
            start_servers(run, args)
        measure_endpoints(runs, args)
        for run in runs:  # what the last load runs left in flight, before the warm profile
            for server in run["servers"].values():
                drain(server)
        results["total_seconds"] = round(time.monotonic() - started, 1)
        # Written after each phase, so a failure later keeps what was measured.
        report.write_all(results, args.out)
        for run in runs:
            finish_size(run, args)
            results["total_seconds"] = round(time.monotonic() - started, 1)
            report.write_all(results, args.out)
    finally:
        for run in runs:
            stop_servers(run)
    log(f"done in {time.monotonic() - started:.0f} s: {args.out}/benchmarks.md")
    if failures := csv_failures(results):
        for failure in failures:
            log(f"FAIL: {failure}")
        fail(f"{len(failures)} CSV check(s) failed (above; details in {args.out}/benchmarks.md)")


if __name__ == "__main__":
    main()
