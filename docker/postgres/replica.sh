#!/bin/sh
# Entry point of the `scale` profile's `db-replica`: a hot standby of `db`. On an empty
# data directory it first copies the primary (pg_basebackup -R writes standby.signal and
# the primary_conninfo to follow it), then runs PostgreSQL, which streams the primary's
# changes from then on. Runs as the image's `postgres` user; PGPASSWORD comes from the
# environment (the primary's POSTGRES_PASSWORD).
set -eu

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -q -h db -U "$POSTGRES_USER"; do sleep 1; done
    pg_basebackup -h db -U "$POSTGRES_USER" -D "$PGDATA" -R -X stream -c fast
    chmod 700 "$PGDATA"
fi
# hot_standby_feedback: the primary keeps the rows a long read here still needs (a CSV
# export streams in one transaction), so replaying a VACUUM never cancels it mid-download.
exec postgres -c hot_standby=on -c hot_standby_feedback=on
