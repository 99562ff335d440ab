"""Model instances from hand-written SQL, for the few hot paths where the ORM's statement
building cost more than the database work (issue 21: the outbox's delivery, the EVSE an
event names). The SQL is written once per shape; each field's own converters still apply
(JSONField values arrive as text with psycopg 3), so an instance is what the ORM would build.
"""

from __future__ import annotations

from django.db import connection


def columns(model, alias: str) -> str:
    """`alias."column", ...` for every concrete field of `model`, in field order."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def width(model) -> int:
    return len(model._meta.concrete_fields)


def instance(model, values):
    """An instance of `model` from its columns' raw values, in `columns` order."""
    converted = []
    for field, value in zip(model._meta.concrete_fields, values, strict=True):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        converted.append(value)
    return model.from_db(connection.alias, None, converted)


def split(row, *models) -> list:
    """The instances of `models` from one row holding their `columns` side by side; a model
    whose primary key is NULL (a LEFT JOIN that found nothing) gives None."""
    found, start = [], 0
    for model in models:
        values = row[start : start + width(model)]
        pk_index = [f.primary_key for f in model._meta.concrete_fields].index(True)
        found.append(None if values[pk_index] is None else instance(model, values))
        start += width(model)
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
