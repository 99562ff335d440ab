"""Indexes for the finance UI's filters, sorts and statements (sessions/finance/, issue 15).

PostgreSQL only (expression indexes on the CDR's JSON, matching the expressions of
sessions.finance.selectors.searchable); the embedded SQLite of `.ci/start` holds a few
hundred demo CDRs and needs none. No model state changes: `makemigrations` stays quiet.
"""

from django.db import migrations

INDEXES = {
    # The list's default order, and every period filter.
    "charging_cdr_fin_start": "(start_date_time DESC, id DESC)",
    # Statements and the eMSP filter: one eMSP's CDRs of a period.
    "charging_cdr_fin_emsp": "(emsp_country_code, emsp_party_id, start_date_time)",
    "charging_cdr_fin_operator": "(operator_id, start_date_time)",
    "charging_cdr_fin_amount": "(total_cost_excl_vat)",
    # Free text: CDR id and contract id by prefix (C collation: btree serves LIKE 'x%'),
    # token uid exactly; the tariff filter.
    "charging_cdr_fin_id": "((UPPER(ocpi_id)::text) text_pattern_ops)",
    "charging_cdr_fin_contract": (
        "((UPPER(data #>> '{cdr_token,contract_id}')::text) text_pattern_ops)"
    ),
    "charging_cdr_fin_uid": "(UPPER(data #>> '{cdr_token,uid}'))",
    "charging_cdr_fin_tariff": "(UPPER(data #>> '{tariffs,0,id}'))",
}
PARTIAL = {
    # The dashboard's held CDRs (a handful among millions).
    "charging_cdr_fin_held": ("(start_date_time)", "state = 'HELD'"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON charging_cdr {columns}")
    for name, (columns, condition) in PARTIAL.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON charging_cdr {columns} WHERE {condition}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*INDEXES, *PARTIAL]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("charging", "0003_authorization_remotestart")]

    operations = [migrations.RunPython(create, drop)]
