"""Rows of a hot statement, prepared on the server on PostgreSQL (elsewhere a plain cursor).

Django binds on the client and psycopg never prepares that, so a statement run many
times a second (alerts/planning.py: the nearest-N search) comes here: server-side
binding with ``prepare=True``, planned once per connection; integers go as bigint so
one prepared form serves every id size."""

from __future__ import annotations

from time import monotonic
from typing import Any, cast

from django.db import connection


def fetch_prepared(sql: str, values: list[Any]) -> list[tuple[Any, ...]]:
    """``cursor.execute(sql, values)``'s rows, the statement prepared on PostgreSQL."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.fetchall()
    import psycopg
    from psycopg.types.numeric import Int8

    class Prepared(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **_kw: Any) -> Prepared:
            return super().execute(query, params, prepare=True)

    connection.ensure_connection()
    started = monotonic()
    raw = Prepared(cast(psycopg.Connection[Any], connection.connection))
    with connection.make_cursor(cast(Any, raw)) as cursor:  # Django's: errors translated
        cursor.execute(sql, [Int8(v) if type(v) is int else v for v in values])
        rows = cast(list[tuple[Any, ...]], cursor.fetchall())
    if connection.queries_logged:  # as Django's debug cursor would, with the values in
        took = f"{monotonic() - started:.3f}"
        connection.queries_log.append(
            {"sql": cast(Any, connection.ops).compose_sql(sql, values), "time": took}
        )
    return rows
