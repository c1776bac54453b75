#!/bin/sh
# Container entry point: apply the database migrations, then run the command
# (gunicorn by default, see the Dockerfile's CMD) as PID 1.
set -eu

python manage.py migrate --noinput

exec "$@"
