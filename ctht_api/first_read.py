"""A request's first read as its own health check: no `SELECT 1` before a cached answer.

Django checks a persistent connection (`CONN_HEALTH_CHECKS`) with `SELECT 1` before a
request's first query, so that a connection the server closed meanwhile (a restart,
a failover, an idle timeout, `pg_terminate_backend`) is replaced instead of failing
the request. A cached public answer (ctht_api.public_cache) runs one query, the
record's version, so that check was one of its two round trips to the database; an
anonymous statement detail or page built afresh is one statement read
(events.statement_json), the same.

`read_checking_connection(connection, read)` runs such a read in its place: when the
read is the first use of a reused connection, Django's check is marked done and the
read goes first; if it fails at once (within `RETRY_WITHIN`) and the connection is
found unusable, the connection is closed and the read runs once more, on a new one.
The read is sent to the server either way, so a connection whose server went away
without a word (a host that crashed, a failover: only a packet sent to it meets the
reset) fails on it as it would have failed on `SELECT 1`. A read that fails on a
connection that still works (a timeout, a cancelled query) is not run again, nor one
that broke its connection after running a while (ended by `pg_terminate_backend` or
a pooler's query timeout, or a server process that crashed while running it): Django's
check would not have run it twice either; its error is the request's.

Only for reads that may run twice without harm (a `SELECT` outside a transaction);
inside an atomic block the check is Django's own, since a reconnection would lose the
transaction.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError

T = TypeVar("T")

# Seconds within which a failed read found its connection broken before it ran: a
# closed connection fails at the first packet, a terminated one at the first answer.
RETRY_WITHIN = 1.0


def read_checking_connection(connection, read: Callable[[], T]) -> T:
    """`read()` on `connection` (a Django connection), standing in for the health check
    Django would run before it (see the module)."""
    if (
        connection.connection is None  # a new connection is healthy (Django's own rule)
        or not connection.health_check_enabled
        or connection.health_check_done
        or connection.in_atomic_block
    ):
        return read()
    connection.health_check_done = True
    started = time.monotonic()
    try:
        return read()
    except (OperationalError, InterfaceError):
        if time.monotonic() - started > RETRY_WITHIN or connection.is_usable():
            raise  # the read failed, or broke its connection while it ran
        connection.close()
        return read()
