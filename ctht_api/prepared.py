"""Prepared statements for the few queries whose SQL never changes, run on every request.

PostgreSQL plans a query each time it receives it; for a short query that planning
is most of its time (an anonymous statement detail: about 1 ms of 1.2 at 100,000
statements; the change feed's state, read by every public answer: most of its
time too). `prepared_cursor()` runs such a query prepared, once per connection:
later runs, with other values, skip parsing and planning. Only a query whose plan
suits every value belongs here (a primary-key lookup, a single-row state): after
five runs PostgreSQL may settle on one generic plan, which for a filtered statement
page measured three times slower than planning each time, so filtered lists are not
prepared; a page of the whole statement list, or of one country's, is (its plan is
the ordering's index scan whatever the values that stay parameters, its constants
written into the SQL: events.statement_json `StatementJSONIterable`).

Django's own cursors bind parameters on the client and prepare nothing; this one
binds on the server (psycopg's `Cursor`) and prepares every statement it runs,
psycopg naming and remembering it per connection. `DATABASE_PREPARED_STATEMENTS`
(on by default) turns it off: behind pgbouncer in transaction mode it needs
pgbouncer 1.22.1 or later with `max_prepared_statements` above 0 (psycopg sends
`DEALLOCATE ALL` after a rollback once it has prepared anything, which pgbouncer
understands from 1.22). On SQLite it is Django's cursor.
"""

import psycopg
from django.conf import settings


class PreparingCursor(psycopg.Cursor):
    """psycopg's server-binding cursor, preparing every statement it runs."""

    def execute(self, query, params=None, **kwargs):
        return super().execute(query, params, prepare=True)


def prepared_cursor(connection):
    """A cursor of `connection` (a Django connection) running its statements prepared on
    PostgreSQL: Django's cursor (its health check and error wrapping) around a
    `PreparingCursor`. While Django logs queries (`DEBUG`, a test counting them), it is
    Django's own cursor: psycopg keeps no text of a prepared statement's run for the
    log to show."""
    cursor = connection.cursor()
    if (
        connection.vendor == "postgresql"
        and settings.DATABASE_PREPARED_STATEMENTS
        and not connection.queries_logged
    ):
        cursor.cursor.close()
        cursor.cursor = PreparingCursor(connection.connection)
    return cursor
