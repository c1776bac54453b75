"""Gunicorn settings for the container, tuned through environment variables."""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Threaded workers: a sync worker tells the master it is alive only between requests,
# so one streaming a large CSV export (a million statements take minutes) for longer
# than `timeout` would be killed mid-download. A gthread worker's main loop keeps
# reporting while its thread serves; `timeout` then catches a stuck worker, not a long
# response. One thread by default, accepting a connection only when that thread is
# free, and no keep-alive: the sync worker's model (one request per worker at a time,
# nothing queued behind a long download, memory of one request), which the benchmark
# measures. Each thread holds its own database connection: workers times threads must
# stay under PostgreSQL's max_connections.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_connections = threads
keepalive = 0
# A tmpfs for the workers' heartbeat files: a disk-backed /tmp can block them.
worker_tmp_dir = "/dev/shm"
accesslog = "-"
errorlog = "-"
timeout = 30
graceful_timeout = 30
# Only these addresses may set X-Forwarded-* headers (the TLS proxy in production).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No runtime control socket (gunicornc): its default lives under $HOME, which the
# image's unprivileged user cannot write to.
control_socket_disable = True


def on_starting(server) -> None:
    """Check the settings in the master, so a bad one is one line and no worker spawns."""
    from ctht_api.preflight import exit_if_misconfigured

    exit_if_misconfigured(serving=True)
