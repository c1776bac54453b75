"""Gunicorn settings of the two benchmark servers (bench/run.py adds bind and workers).

Like the production gunicorn.conf.py, less the access log: one line per request
to a pipe would be part of what is measured, for both servers alike — and with
a longer `timeout`. A sync worker tells the master it is alive only between
requests, so one streaming a CSV export longer than `timeout` is killed
mid-download; here the download is measured to its end, and the report says
when it took longer than production's `timeout` (which would cut it short).
"""

worker_class = "sync"
worker_tmp_dir = "/dev/shm"
accesslog = None
errorlog = "-"
loglevel = "warning"
timeout = 600
graceful_timeout = 10
control_socket_disable = True
