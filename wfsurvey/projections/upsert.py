"""Rows written by the database: insert a row, or add to (or overwrite) the row with its key, reading nothing first.

A projection that read its rows, changed them in Python and wrote them back would cost a SELECT,
ORM bookkeeping and an UPDATE per row, and on PostgreSQL two transactions adding to one row at the
same moment could both read the old value. INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n
does it in the database, atomically, on SQLite (3.24+) and PostgreSQL alike.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, TextClause, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

#: The INSERT construct with an ON CONFLICT clause, per dialect name.
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_DIALECTS = {"sqlite": sqlite.dialect, "postgresql": postgresql.dialect}


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


@cache
def _upsert(dialect_name: str, table: Table, keys: tuple[str, ...], columns: tuple[str, ...], add: bool) -> TextClause:
    """The statement, compiled once per use and kept as text.

    SQLAlchemy does not cache INSERT ... ON CONFLICT (the dialects' Insert has no cache key), so
    the construct would be compiled anew at every execution, costing more than running it. As
    text with typed parameters it is cached like any other statement, and values are still
    converted by their columns' types (JSON, timestamps).
    """
    stmt = _INSERTS[dialect_name](table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={c: table.c[c] + stmt.excluded[c] if add else stmt.excluded[c] for c in columns},
    )
    names = keys + columns
    sql = str(stmt.compile(dialect=_DIALECTS[dialect_name](paramstyle="named"), column_keys=list(names)))
    # text() reads ":name" as a parameter: a PostgreSQL cast ("::JSONB") must be escaped.
    return text(sql.replace("::", "\\:\\:")).bindparams(*(bindparam(n, type_=table.c[n].type) for n in names))


def add_counts(session: Session, table: Table, keys: Sequence[str], counters: Sequence[str],
               rows: list[dict[str, Any]]) -> None:
    """Insert each row, or add its counters to the row with the same key (the table's primary key).

    Give the rows sorted by key: two PostgreSQL transactions then lock shared rows in the same
    order and cannot deadlock on them.
    """
    if rows:
        session.execute(_upsert(dialect_name(session), table, tuple(keys), tuple(counters), True), rows)


def put_rows(session: Session, table: Table, keys: Sequence[str], columns: Sequence[str],
             rows: list[dict[str, Any]]) -> None:
    """Insert each row, or overwrite `columns` of the row with the same key; one row per key, sorted by key."""
    if rows:
        session.execute(_upsert(dialect_name(session), table, tuple(keys), tuple(columns), False), rows)
