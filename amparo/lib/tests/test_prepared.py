"""PostgreSQL's bulk inserts send each column as one array literal built with joins: the
database reads back exactly the values psycopg's own list dumper would have sent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from psycopg.types.json import Jsonb

from amparo.lib.prepared import _array_text

COLUMNS = [
    ("bigint", [1, -2, None]),
    ("text", ["a", 'b"c', "d\\e", "", "NULL", " x ", "{y,z}", "ñ", None]),
    ("text", ["plain", 'b"c', "d\\e"]),  # all strings: one join
    ("boolean", [True, False, None]),
    ("double precision", [1.5, 1e-5, float("inf"), None]),
    ("jsonb", [Jsonb({"a": 'q"\\'}), Jsonb([]), None]),
    ("timestamp with time zone", [datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), None]),
    ("date", [date(2026, 1, 2)]),
    ("character varying", ["abc"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "values"), COLUMNS)
def test_an_array_literal_reads_back_as_the_values(kind, values) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's array literals")
    literal = _array_text(list(values))
    assert isinstance(literal, str)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT unnest(%s::{kind}[])", [literal])
        got = cursor.fetchall()
        cursor.execute(f"SELECT unnest(%s::{kind}[])", [list(values)])
        assert got == cursor.fetchall()
    for other in ([[1], [2]], [b"\\x00", None]):  # not handled here: left to psycopg
        assert _array_text(other) == other
