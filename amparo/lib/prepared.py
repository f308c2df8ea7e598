"""Rows of a hot statement, prepared on the server on PostgreSQL (elsewhere a plain cursor).

Django binds on the client and psycopg never prepares that, so a statement run many
times a second (alerts/planning.py: the nearest-N search) comes here: server-side
binding with ``prepare=True``, planned once per connection; integers go as bigint so
one prepared form serves every id size."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from time import monotonic
from typing import Any, cast

from django.db import connection
from psycopg.types.json import Jsonb


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


def params_limit(db: Any = connection) -> int:
    """Parameters one statement may have (SQLite says how many it takes: Django assumes
    an old compile-time default of 999)."""
    if db.vendor == "sqlite":
        db.ensure_connection()
        return max(999, db.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return 30_000


def rows_insert(
    table: str,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    tail: str = "",
    db: Any = connection,
) -> list[tuple[Any, ...]]:
    """A multi-row INSERT of ``rows`` (names quoted here, values bound), in order;
    ``tail``: e.g. ``ON CONFLICT DO NOTHING`` or ``RETURNING id`` (then the rows
    returned). On PostgreSQL one statement whatever the rows' number: each column's
    values go as one array, bound on the server (``INSERT … SELECT FROM unnest``: a
    short statement psycopg parses once, not thousands of placeholders mogrified on
    the client); elsewhere split only at the parameter limit."""
    if not rows:
        return []
    quote = db.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    if db.vendor == "postgresql":
        return _unnest_insert(table, columns, rows, tail, db)
    # sqlite3's own "?": Django's rewrite of "%s" into it is a tenth of a big INSERT's
    # time (its query log, when on, formats "%s" only)
    mark = "?" if db.vendor == "sqlite" and not db.queries_logged else "%s"
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    out: list[tuple[Any, ...]] = []
    size = max(1, params_limit(db) // len(columns))
    with db.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(
                f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([one] * len(batch))} "  # noqa: S608 - names from the model, values bound
                + tail,
                [value for row in batch for value in row],
            )
            if "RETURNING" in tail:
                out += cursor.fetchall()
    return out


_TYPES: dict[tuple[str, str], dict[str, str]] = {}  # (database, table) -> column -> type


def _column_types(table: str, db: Any) -> dict[str, str]:
    key = (db.settings_dict["NAME"], table)
    if key not in _TYPES:
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [db.ops.quote_name(table)],
            )
            _TYPES[key] = dict(cursor.fetchall())
    return _TYPES[key]


def _unnest_insert(
    table: str, columns: list[str], rows: Sequence[Sequence[Any]], tail: str, db: Any
) -> list[tuple[Any, ...]]:
    import psycopg

    quote = db.ops.quote_name
    types = _column_types(table, db)
    arrays = ", ".join(f"%s::{types[c]}[]" for c in columns)
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 - names from the model, values bound
        f"SELECT * FROM unnest({arrays}) {tail}"
    )
    values = [_array_text(list(column)) for column in zip(*rows, strict=True)]
    db.ensure_connection()
    started = monotonic()
    raw = psycopg.Cursor(cast(psycopg.Connection[Any], db.connection))  # server-side binding
    with db.make_cursor(cast(Any, raw)) as cursor:  # Django's: errors translated
        cursor.execute(sql, values)
        out = cast(list[tuple[Any, ...]], cursor.fetchall()) if "RETURNING" in tail else []
    if db.queries_logged:
        took = f"{monotonic() - started:.3f}"
        db.queries_log.append({"sql": f"{sql} -- {len(rows)} rows", "time": took})
    return out


_ESCAPE = str.maketrans({"\\": "\\\\", '"': '\\"'})


def _element(value: Any) -> str:
    """One array element in PostgreSQL's text form; TypeError for a type not handled."""
    if value is None or isinstance(value, int | float):
        return "NULL" if value is None else str(value)
    if isinstance(value, Jsonb):
        value = (value.dumps or json.dumps)(value.obj)
    elif not isinstance(value, str | datetime | date):
        raise TypeError(type(value))
    return '"' + str(value).translate(_ESCAPE) + '"'


def _array_text(values: list[Any]) -> str | list[Any]:
    """A column's values as one array literal (``{1,2}``, ``{"a","b"}``) built with joins:
    psycopg's list dumper takes each value in Python, most of a bulk insert's time on
    the client. A type not handled here: the list itself, for psycopg."""
    kinds = set(map(type, values))
    if kinds == {int}:
        return "{" + ",".join(map(str, values)) + "}"
    if kinds == {str}:
        return '{"' + '","'.join(v.translate(_ESCAPE) for v in values) + '"}'
    try:
        return "{" + ",".join(map(_element, values)) + "}"
    except TypeError:
        return values
