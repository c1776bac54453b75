"""Django's PostgreSQL backend, its connection health check without a round trip.

With `CONN_HEALTH_CHECKS` (ctht_api.settings), Django checks a persistent connection
before a request first uses it, by running `SELECT 1`: one more round trip, and one
more statement for PostgreSQL, on every request (about an eighth of a cached public
answer's time, in process). A connection that died while idle (the server or a pooler
restarted, `idle_session_timeout`, `pg_terminate_backend`) has been told so: the
server sends its FATAL message and closes the socket. `is_usable` reads whatever
arrived without waiting (`PQconsumeInput`): a closed socket or a connection in a
failed transaction is unusable, and Django reconnects before the request runs its
first query, as it does when `SELECT 1` fails. What neither check can see is a
connection the network dropped silently; `SELECT 1` would wait for TCP's timeout too.
One case `SELECT 1` sees and this does not: a server that closes the connection in the
instant between the check and the query; that request then fails (503, as during an
outage) and the next one reconnects.

`ENGINE` is set to this module for every `postgres://` URL (settings).
"""

import psycopg
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper
from psycopg import pq

# A connection between statements, in autocommit or inside a transaction.
READY = (pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS)


class DatabaseWrapper(PostgreSQLWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        pgconn = connection.pgconn
        try:
            # What the server sent, without a round trip. A read that found data (the
            # server's FATAL message, which libpq takes for a notice while idle) does
            # not see the end of the stream behind it: the second read does.
            pgconn.consume_input()
            pgconn.consume_input()
        except psycopg.OperationalError:  # the socket is closed
            return False
        return pgconn.status == pq.ConnStatus.OK and pgconn.transaction_status in READY
