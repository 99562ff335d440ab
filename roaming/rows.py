"""Model instances from hand-written SQL, for the few hot paths where the ORM's statement
building cost more than the database work (issue 21: the outbox's delivery, the EVSE an
event names). The SQL is written once per shape; each field's own converters still apply
(JSONField values arrive as text with psycopg 3), so an instance is what the ORM would build.
"""

from __future__ import annotations

from django.db import connection


def fields_of(model, defer=()) -> list:
    """The concrete fields of `model` that are read, in field order (`defer`: names left out,
    loaded on access as the ORM's defer() does)."""
    return [f for f in model._meta.concrete_fields if f.name not in defer]


def columns(model, alias: str, defer=()) -> str:
    """`alias."column", ...` for the fields of `fields_of(model, defer)`."""
    return ", ".join(f'{alias}."{field.column}"' for field in fields_of(model, defer))


def width(model, defer=()) -> int:
    return len(fields_of(model, defer))


_READERS: dict = {}


def _readers(model, defer) -> tuple[list, list | None]:
    """Per field, what the ORM applies to its raw value: the backend's converters (SQLite
    returns datetimes as text) then the field's own (JSONField values arrive as text with
    psycopg 3), with the column expression they are called with; and the attnames to give
    `from_db` when fields are deferred. Worked out once per model and shape."""
    key = (model, tuple(defer), connection.vendor)
    if key not in _READERS:
        readers = []
        for field in fields_of(model, defer):
            column = field.get_col(model._meta.db_table)
            converters = [
                *connection.ops.get_db_converters(column),
                *column.get_db_converters(connection),
            ]
            readers.append((converters, column))
        names = [field.attname for field in fields_of(model, defer)] if defer else None
        _READERS[key] = (readers, names)
    return _READERS[key]


def instance(model, values, defer=()):
    """An instance of `model` from its columns' raw values, in `columns` order."""
    readers, names = _readers(model, defer)
    if len(values) != len(readers):
        raise ValueError(f"{model.__name__}: {len(values)} values for {len(readers)} fields")
    converted = list(values)
    for index, (converters, column) in enumerate(readers):
        for converter in converters:  # as the ORM's compiler calls them
            converted[index] = converter(converted[index], column, connection)
    return model.from_db(connection.alias, names, converted)


def split(row, *models) -> list:
    """The instances of `models` from one row holding their `columns` side by side; a model
    whose primary key is NULL (a LEFT JOIN that found nothing) gives None. A model may be
    given as (model, defer)."""
    found, start = [], 0
    for entry in models:
        model, defer = entry if isinstance(entry, tuple) else (entry, ())
        fields = fields_of(model, defer)
        values = row[start : start + len(fields)]
        pk_index = [f.primary_key for f in fields].index(True)
        found.append(None if values[pk_index] is None else instance(model, values, defer))
        start += len(fields)
    return found


def insert_sql(instance_, *, returning: bool = False) -> tuple[str, list]:
    """One INSERT of `instance_` (every concrete field but an auto primary key, `pre_save`
    applied as `save` would: auto_now_add, defaults already set) and its parameters."""
    model = type(instance_)
    names, params = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.db_returning:
            continue
        value = field.pre_save(instance_, add=True)
        names.append(connection.ops.quote_name(field.column))
        params.append(field.get_db_prep_save(value, connection))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(params))})"
    if returning:
        sql += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    return sql, params
