"""Benchmark data: a million CDRs (and their sessions) written by bulk SQL in PostgreSQL.

Not a demo: the rows copy one real demo CDR's shape (its JSON, its tariff) and vary what
the finance UI filters and sums (eMSP, contract, location, time, energy, amounts), so the
indexes and aggregations of sessions/finance/ meet a realistic table (bench/finance.py).
Ids start with BENCH- and `--delete` removes exactly those rows.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from roaming import audit
from roaming.ocpi_json import dumps
from sessions.models import Cdr

EMSPS = ["FR*MOB", "DE*EVP", "NL*EMP", "BE*VLT", "FR*ABC", "DE*TNM", "IT*ENX", "ES*IBD"]

SESSIONS_SQL = """
INSERT INTO charging_session (
    operator_id, ocpi_id, location_id, evse_id, connector_id, origin, transaction_id,
    start_date_time, end_date_time, stopped_at, stop_reason, meter_start_wh, kwh, cdr_token,
    auth_method, authorization_reference, meter_id, currency, time_zone, cdr_location, tariff,
    live_state, meter_resets, out_of_order, charging_periods, total_cost, status, invalid_reason,
    last_updated, created_at)
SELECT c.operator_id, 'BENCH-' || lpad(g::text, 9, '0'), c.location_id, c.evse_id,
       c.connector_id, 'ROAMING', '', t.start, t.start + t.minutes, t.start + t.minutes, '',
       0, t.kwh, t.token, 'AUTH_REQUEST', '', '', 'EUR', c.time_zone, c.cdr_location, c.tariff,
       '{}', '[]', '[]', '[]', NULL, 'COMPLETED', '', now(), now()
FROM generate_series(1::bigint, %(count)s::bigint) AS g
JOIN LATERAL (
    SELECT * FROM bench_chargers WHERE n = g %% (SELECT count(*) FROM bench_chargers)
) c ON true
JOIN LATERAL (
    SELECT date_trunc('second',
                      %(first)s::timestamptz + (g::float8 / %(count)s) * %(span)s::interval)
               AS start,
           make_interval(mins => (20 + (g * 7919) %% 240)::int) AS minutes,
           round((5 + ((g * 104729) %% 55000) / 1000.0)::numeric, 4) AS kwh,
           jsonb_build_object(
               'country_code', split_part(e.emsp, '*', 1), 'party_id', split_part(e.emsp, '*', 2),
               'uid', upper(md5(g::text)), 'type', 'RFID',
               'contract_id', split_part(e.emsp, '*', 1) || '-' || split_part(e.emsp, '*', 2)
                   || '-C' || lpad(((g * 31) %% 200000)::text, 8, '0')) AS token
    FROM (SELECT (%(emsps)s::text[])[1 + (g * 13) %% %(emsp_count)s] AS emsp) e
) t ON true
"""

CDRS_SQL = """
INSERT INTO charging_cdr (
    session_id, operator_id, ocpi_id, data, state, held_reason, credit, credit_reference_id,
    rebill_of_id, reason, created_by_id, emsp_country_code, emsp_party_id, currency,
    total_cost_excl_vat, total_energy, start_date_time, end_date_time, created_at)
SELECT s.id, s.operator_id, s.ocpi_id,
       %(template)s::jsonb || jsonb_build_object(
           'id', s.ocpi_id, 'session_id', s.ocpi_id, 'cdr_token', s.cdr_token,
           'cdr_location', s.cdr_location, 'tariffs', jsonb_build_array(s.tariff),
           'start_date_time',
               to_char(s.start_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'end_date_time',
               to_char(s.end_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'total_energy', s.kwh,
           'total_time', round(extract(epoch FROM s.end_date_time - s.start_date_time) / 3600, 4),
           'total_parking_time', 0,
           'total_cost', jsonb_build_object('excl_vat', round(s.kwh * 0.35, 4),
                                            'incl_vat', round(s.kwh * 0.42, 4)),
           'total_energy_cost', jsonb_build_object('excl_vat', round(s.kwh * 0.35, 4),
                                                   'incl_vat', round(s.kwh * 0.42, 4))),
       CASE WHEN s.id %% 5000 = 0 THEN 'HELD' ELSE 'QUEUED' END, '', false, NULL, NULL, '', NULL,
       s.cdr_token->>'country_code', s.cdr_token->>'party_id', 'EUR', round(s.kwh * 0.35, 4),
       s.kwh, s.start_date_time, s.end_date_time, s.end_date_time
FROM charging_session s
WHERE s.ocpi_id LIKE 'BENCH-%%'
"""


class Command(BaseCommand):
    help = "Write COUNT benchmark CDRs (and sessions) by bulk SQL; PostgreSQL only."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=1_000_000)
        parser.add_argument("--years", type=int, default=2, help="Spread over this many years.")
        parser.add_argument("--delete", action="store_true", help="Only remove BENCH- rows.")

    def handle(self, *args, count, years, delete, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark generator needs PostgreSQL (DATABASE_URL).")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM charging_cdr WHERE ocpi_id LIKE 'BENCH-%%'")
            cursor.execute("DELETE FROM charging_session WHERE ocpi_id LIKE 'BENCH-%%'")
            if delete:
                self.stdout.write("Benchmark rows removed.")
                return
            if not 1 <= count <= 5_000_000:
                raise CommandError("--count is 1 to 5000000.")
            template = Cdr.objects.filter(credit=False).exclude(ocpi_id__startswith="BENCH-")
            template = template.select_related("session").order_by("pk").first()
            if template is None or not template.session.tariff:
                raise CommandError("No priced CDR to copy: run `manage.py demo_data --charging`.")
            cursor.execute(
                """CREATE TEMP TABLE bench_chargers ON COMMIT DROP AS
                SELECT (row_number() OVER (ORDER BY s.id) - 1) AS n, s.operator_id,
                       s.location_id, s.evse_id, s.connector_id, s.time_zone, s.cdr_location,
                       s.tariff
                FROM (SELECT DISTINCT ON (evse_id) * FROM charging_session
                      WHERE tariff IS NOT NULL AND ocpi_id NOT LIKE 'BENCH-%%'
                      ORDER BY evse_id, id) s"""
            )
            cursor.execute(
                SESSIONS_SQL,
                {
                    "count": count,
                    "first": f"{2026 - years}-11-01T00:00:00Z",
                    "span": f"{years * 365} days",
                    "emsps": EMSPS,
                    "emsp_count": len(EMSPS),
                },
            )
            data = dict(template.data)
            for name in ("total_parking_cost", "total_time_cost", "total_fixed_cost", "remark"):
                data.pop(name, None)
            cursor.execute(CDRS_SQL, {"template": dumps(data)})
            created = cursor.rowcount
            audit.record(
                actor=audit.command_actor("generate_finance_cdrs"),
                action="demo_data",
                detail=f"{created} benchmark CDR(s)",
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE charging_session")
            cursor.execute("ANALYZE charging_cdr")
        self.stdout.write(f"{created} benchmark CDR(s) written.")
