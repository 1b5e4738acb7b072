"""Statements of the respondent's submit, compiled once per dialect and sent through the connection as SQL text.

A submit runs a dozen small statements. Through `Session.execute` each one pays for far more than
the database's work: the session finds its bind and connection, the statement's SQL cache key is
computed by walking the whole expression (every time: that is how the cache is looked up), the
parameters are matched against the compiled form, the result is set up for ORM use. Profiled, that
was over half of a submit's CPU time on SQLite, and the statements themselves a tenth.

A prepared statement is still built with SQLAlchemy from the tables (no SQL typed by hand) and still
runs on the session's connection, in its transaction, through `Connection.exec_driver_sql`: engine
events fire (statement counts, the waiting writes of projections.upsert), driver errors come wrapped
as everywhere else (IntegrityError, a lost connection). What it skips is the per-execution work:
the SQL and the order of its parameters are kept per dialect, and values go through their columns'
bind processing (JSON, UTC timestamps) by a list of functions made once.

Rows of a RETURNING or SELECT come from `execute` as the driver gives them, without the columns' result
processing (fine for integers and text); `first` gives the row's values converted by their columns' types
(timestamps, JSON), as a Core statement's would be.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql import ClauseElement


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: Parameter names in the order the SQL takes them (positional paramstyles), or None (named: a dict).
    order: tuple[str, ...] | None
    #: Bind processing per parameter name (only those that have one).
    processors: Mapping[str, Callable[[Any], Any]]
    #: The values the statement carries itself (`.values(flag=True)`), used unless given.
    defaults: Mapping[str, Any]
    #: Result processing per column of a SELECT or RETURNING (None where the driver's value is the value).
    results: tuple[Callable[[Any], Any] | None, ...]

    #: (name, bind processing or None) in `order` (positional paramstyles).
    steps: tuple[tuple[str, Callable[[Any], Any] | None], ...] = ()

    def arguments(self, values: Mapping[str, Any]) -> Any:
        if self.defaults:
            values = {**self.defaults, **values}
        if self.order is not None:
            return tuple([values[name] if process is None else process(values[name]) for name, process in self.steps])
        processors = self.processors
        return {name: processors[name](value) if name in processors else value for name, value in values.items()}


class Prepared:
    """A statement (built once, at import or under functools.cache) and its compiled forms per dialect.

    Parameters are the statement's bind parameter names; every one must be given (no defaults are
    filled in, no expanding IN lists). `column_keys` names the columns of an INSERT or UPDATE whose
    values come as parameters named like them, as `Connection.execute(insert(table), row)` would.
    """

    __slots__ = ("statement", "column_keys", "options", "_by_dialect")

    def __init__(self, statement: ClauseElement, column_keys: Sequence[str] | None = None,
                 options: Mapping[str, Any] | None = None):
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        #: Execution options given to every execution (as Connection.execution_options would).
        self.options = dict(options or {})
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
            if compiled.post_compile_params or compiled.literal_execute_params:
                raise ValueError("a prepared statement cannot take expanding (IN) or literal parameters")
            processors = {name: process for name, process in compiled._bind_processors.items() if process is not None}
            order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup is not None else None
            defaults = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
            results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                            for column in getattr(self.statement, "selected_columns", ()))
            steps = tuple((name, processors.get(name)) for name in order) if order is not None else ()
            found = self._by_dialect[dialect.name] = _Compiled(compiled.string, order, processors, defaults, results,
                                                               steps)
        return found

    def execute(self, session_or_connection: Session | scoped_session | Connection,
                values: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> CursorResult[Any]:
        """Run it on the session's connection (in its transaction): one set of values, or a list (executemany)."""
        return self._run(session_or_connection, values)[0]

    def _run(self, session_or_connection: Session | scoped_session | Connection,
             values: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> tuple[CursorResult[Any], _Compiled]:
        connection = (session_or_connection if isinstance(session_or_connection, Connection)
                      else session_or_connection.connection())
        compiled = self._compiled(connection.dialect)
        arguments = (compiled.arguments(values) if isinstance(values, Mapping)
                     else [compiled.arguments(v) for v in values])
        if self.options:
            return connection.exec_driver_sql(compiled.sql, arguments, execution_options=self.options), compiled
        return connection.exec_driver_sql(compiled.sql, arguments), compiled

    def first(self, session_or_connection: Session | scoped_session | Connection,
              values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of a SELECT (or RETURNING), its values converted by their columns' types; None without one."""
        found = self.rows(session_or_connection, values, first=True)
        return found[0] if found else None

    def rows(self, session_or_connection: Session | scoped_session | Connection, values: Mapping[str, Any], *,
             first: bool = False) -> list[tuple[Any, ...]]:
        """Every row of a SELECT (or RETURNING), or only the first, its values converted by their columns' types."""
        result, compiled = self._run(session_or_connection, values)
        found = result.fetchmany(1) if first else result.fetchall()
        result.close()
        processors = compiled.results
        if not any(processors):
            return [tuple(row) for row in found]
        return [tuple(value if process is None or value is None else process(value)
                      for value, process in zip(row, processors, strict=True)) for row in found]
