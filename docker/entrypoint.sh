#!/bin/sh
# Container entry point: apply the database migrations and create the rate-limit
# counters' table (a no-op when REDIS_URL holds them or the table exists), then run
# the command (gunicorn by default, see the Dockerfile's CMD) as PID 1.
set -eu

python manage.py migrate --noinput
python manage.py createcachetable

exec "$@"
