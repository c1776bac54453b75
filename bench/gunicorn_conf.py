"""Gunicorn settings of the two benchmark servers (bench/run.py adds bind and workers).

Like the production gunicorn.conf.py, less the access log: one line per request
to a pipe would be part of what is measured, for both servers alike.
"""

worker_class = "sync"
worker_tmp_dir = "/dev/shm"
accesslog = None
errorlog = "-"
loglevel = "warning"
timeout = 120
graceful_timeout = 10
control_socket_disable = True
