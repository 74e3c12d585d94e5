"""Surviving a dropped database connection: close what is broken, wait, try again."""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger("market.jobs")

T = TypeVar("T")

# What a terminated, refused or timed-out connection raises (Django wraps psycopg's errors).
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def drop_connections(*, only_broken: bool = False) -> None:
    """Close this thread's connections (all, or those that errored and no longer answer) so that
    the next query opens a fresh one. A connection inside an atomic block is never closed
    under its owner's feet (that happens only in tests, which wrap everything in one)."""
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block or conn.connection is None:
            continue
        if only_broken and not (conn.errors_occurred and not conn.is_usable()):
            continue
        try:
            conn.close()
        except DatabaseError:  # closing a dead connection may complain; it is closed anyway
            conn.connection = None


def close_old_connections() -> None:
    """Django's `close_old_connections` (drop connections past CONN_MAX_AGE or broken), except
    for a connection inside an atomic block, which it would close (only tests hold one here)."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def in_atomic_block() -> bool:
    return any(conn.in_atomic_block for conn in connections.all(initialized_only=True))


def with_reconnect(fn: Callable[[], T], *, tries: int = 5, first_delay: float = 0.25, what: str = "") -> T:
    """fn(), again after a connection error (up to `tries` times, doubling the delay). Inside an
    atomic block the error is raised at once: the transaction is lost, only its owner can retry."""
    delay = first_delay
    for attempt in range(1, tries + 1):
        try:
            drop_connections(only_broken=True)
            return fn()
        except CONNECTION_ERRORS as exc:
            if attempt == tries or in_atomic_block():
                raise
            logger.warning("Database connection lost (%s, %s); again in %.2f s", what or "query", exc, delay)
            drop_connections()
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")
