"""Daily range partitions for the tables every event appends to (issue 21: retention in O(1)).

On PostgreSQL such a table is `PARTITION BY RANGE (<column>)` with one partition a day,
`<table>_pYYYYMMDD` (UTC days), and a DEFAULT partition so an insert never fails (a clock far
behind or ahead). Retention drops whole partitions instead of deleting rows. Elsewhere (the
embedded run's SQLite) the table stays plain and these functions do nothing.

The primary key in the database is (id, <column>): PostgreSQL wants the partition column in
every unique constraint. Django keeps `id` as the model's pk; ids still come from one sequence,
so they stay unique in practice (docs/operations.md, retention).
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.db import OperationalError, connection, migrations, transaction

DEFAULT = "default"
LOCK_TIMEOUT = "5s"
logger = logging.getLogger(__name__)
_DAY = re.compile(r"_p(\d{8})$")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _day_literal(day: dt.date, column_type: str) -> str:
    if column_type == "date":
        return f"'{day.isoformat()}'"
    return f"'{day.isoformat()} 00:00:00+00'"


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
            " WHERE c.relname = %s AND c.relnamespace = 'public'::regnamespace",
            [table],
        )
        return cur.fetchone() is not None


def _key(table: str) -> tuple[str, str]:
    """The partition column of a partitioned table, and its type ('date' or a timestamp)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod)"
            " FROM pg_partitioned_table p JOIN pg_attribute a"
            " ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]"
            " WHERE p.partrelid = %s::regclass",
            [table],
        )
        return cur.fetchone()


def partitions(table: str) -> dict[dt.date, str]:
    """The daily partitions of a table, by day (the DEFAULT one is not listed)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass",
            [table],
        )
        names = [row[0] for row in cur.fetchall()]
    found = {}
    for name in names:
        match = _DAY.search(name)
        if match:
            found[dt.datetime.strptime(match.group(1), "%Y%m%d").date()] = name
    return found


def _create_day(table: str, day: dt.date) -> str:
    """One day's partition; rows of that day already in DEFAULT move into it first
    (PostgreSQL refuses to create it otherwise)."""
    column, column_type = _key(table)
    name = f"{table}_p{day:%Y%m%d}"
    start, end = (
        _day_literal(day, column_type),
        _day_literal(day + dt.timedelta(days=1), column_type),
    )
    default = _q(f"{table}_{DEFAULT}")
    bounds = f"FOR VALUES FROM ({start}) TO ({end})"
    in_day = f"{_q(column)} >= {start} AND {_q(column)} < {end}"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")  # see _briefly
        cur.execute(f"SELECT 1 FROM {default} WHERE {in_day} LIMIT 1")
        if cur.fetchone() is None:
            cur.execute(f"CREATE TABLE {_q(name)} PARTITION OF {_q(table)} {bounds}")
            return name
        cur.execute(
            f"CREATE TABLE {_q(name)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cur.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE {in_day} RETURNING *)"
            f" INSERT INTO {_q(name)} SELECT * FROM moved"
        )
        cur.execute(f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(name)} {bounds}")
    return name


def ensure_partitions(model, days_ahead: int, *, today: dt.date | None = None) -> list[str]:
    """Today's partition and the next `days_ahead` days' ones; the names created."""
    table = model._meta.db_table
    if not is_partitioned(table):
        return []
    today = today or dt.datetime.now(dt.UTC).date()
    have = partitions(table)
    days = [today + dt.timedelta(days=n) for n in range(days_ahead + 1)]
    return [_create_day(table, day) for day in days if day not in have]


def drop_partitions_older_than(model, cutoff: dt.datetime, *, keep=None) -> list[str]:
    """Drop the daily partitions whose whole day is before `cutoff` (a row lives at most a
    day past its retention), except those `keep(partition_name)` wants kept; their names.
    A day whose lock is not granted at once is left for the next run (`_briefly`)."""
    table = model._meta.db_table
    if not is_partitioned(table):
        return []
    dropped = []
    for day, name in sorted(partitions(table).items()):
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
        if end > cutoff or (keep and keep(name)):
            continue
        if _briefly(f"DROP TABLE {_q(name)}"):
            dropped.append(name)
    return dropped


def _briefly(sql: str) -> bool:
    """Run DDL that locks the partitioned table, giving up after LOCK_TIMEOUT: waiting behind
    a long read would hold every insert of the table behind it. False when it gave up."""
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cur.execute(sql)
    except OperationalError as error:
        logger.warning("partition maintenance postponed (%s): %s", sql, error)
        return False
    return True


def purge_default(model, cutoff: dt.datetime, *, where: str = "", params=()) -> int:
    """Delete the DEFAULT partition's rows older than `cutoff` (and matching `where`)."""
    table = model._meta.db_table
    column, column_type = _key(table)
    bound = cutoff.date() if column_type == "date" else cutoff
    extra = f" AND {where}" if where else ""
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {_q(table + '_' + DEFAULT)} WHERE {_q(column)} < %s{extra}",
            [bound, *params],
        )
        return cur.rowcount


# --- migrations: a plain table into a partitioned one, and back -------------------


def _rebuild(schema_editor, table: str, column: str | None, pk: str = "id") -> None:
    """Rebuild `table` partitioned by day on `column` (None: a plain table again), keeping
    its rows, columns, indexes, unique and foreign keys, and its id sequence."""
    if schema_editor.connection.vendor != "postgresql":
        return
    old = f"{table}_old"
    q = schema_editor.quote_name
    with schema_editor.connection.cursor() as cur:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('p', 'u'))",
            [table, table],
        )
        indexes = cur.fetchall()
        cur.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
            [table],
        )
        constraints = cur.fetchall()
        cur.execute(
            f"SELECT pg_get_serial_sequence(%s, %s), max({q(pk)}) FROM {q(table)}", [table, pk]
        )
        _, last_id = cur.fetchone()
        cur.execute(f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
        partition = f" PARTITION BY RANGE ({q(column)})" if column else ""
        cur.execute(
            f"CREATE TABLE {q(table)} (LIKE {q(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            + partition
        )
        cur.execute(f"ALTER TABLE {q(table)} ALTER COLUMN {q(pk)} DROP DEFAULT")
        if column:
            cur.execute(f"CREATE TABLE {q(table + '_' + DEFAULT)} PARTITION OF {q(table)} DEFAULT")
            cur.execute(
                f"SELECT DISTINCT {q(column)}::date FROM {q(old)} WHERE {q(column)} IS NOT NULL"
            )
            days = {row[0] for row in cur.fetchall()}
            cur.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attname = %s",
                [table, column],
            )
            column_type = cur.fetchone()[0]
            today = dt.datetime.now(dt.UTC).date()
            days |= {today + dt.timedelta(days=n) for n in range(3)}
            for day in sorted(days):
                start = _day_literal(day, column_type)
                end = _day_literal(day + dt.timedelta(days=1), column_type)
                cur.execute(
                    f"CREATE TABLE {q(f'{table}_p{day:%Y%m%d}')} PARTITION OF {q(table)}"
                    f" FOR VALUES FROM ({start}) TO ({end})"
                )
        cur.execute(f"INSERT INTO {q(table)} SELECT * FROM {q(old)}")
        cur.execute(f"DROP TABLE {q(old)}")
        key = f"{q(pk)}, {q(column)}" if column else q(pk)
        cur.execute(
            f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(table + '_pkey')} PRIMARY KEY ({key})"
        )
        for name, _kind, definition in constraints:
            cur.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
        for _, definition in indexes:
            cur.execute(definition.replace(" ON ONLY ", " ON "))
        sequence = f"{table}_{pk}_seq"
        cur.execute(f"CREATE SEQUENCE {q(sequence)} OWNED BY {q(table)}.{q(pk)}")
        cur.execute(
            f"ALTER TABLE {q(table)} ALTER COLUMN {q(pk)} SET DEFAULT nextval(%s)", [sequence]
        )
        if last_id:
            cur.execute("SELECT setval(%s, %s)", [sequence, last_id])


def partition_by_day(table: str, column: str) -> migrations.RunPython:
    """A migration operation: `table` partitioned by day on `column` (PostgreSQL only);
    its reverse makes it a plain table again."""

    def forward(apps, schema_editor):
        _rebuild(schema_editor, table, column)

    def backward(apps, schema_editor):
        _rebuild(schema_editor, table, None)

    return migrations.RunPython(forward, backward, elidable=False)
