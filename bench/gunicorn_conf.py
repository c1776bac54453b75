"""Gunicorn settings of the two benchmark servers (bench/run.py adds bind and workers).

Like the production gunicorn.conf.py (threaded workers, its `timeout`), less the
access log: one line per request to a pipe would be part of what is measured,
for both servers alike. With production's own `timeout`, a CSV export that
outlasts it shows that a threaded worker streams on (a sync worker would be
killed mid-download: it reports alive only between requests).
"""

worker_class = "gthread"
threads = 1
worker_connections = 1
keepalive = 0
worker_tmp_dir = "/dev/shm"
accesslog = None
errorlog = "-"
loglevel = "warning"
timeout = 30
graceful_timeout = 10
control_socket_disable = True
