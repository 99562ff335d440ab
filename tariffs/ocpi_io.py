"""OCPI Tariff files in and out (import_tariffs, export_tariffs), on roaming.ocpi_io.

Numbers are read and written as exact Decimals. A description is found by operator, id and
Gireve target (§3.10.4), ids compared case-insensitively and never re-cased; published ones
change only in texts and end date (§3.10.2, Tariff.clean); each save queues its push.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from roaming import ocpi_json
from roaming.models import Operator
from roaming.ocpi_io import ImportRefused, ImportResult, Kind, error_lines

from . import services
from .models import Tariff
from .ocpi import ParsedTariff, parse_tariff, tariff_to_ocpi


class TariffsKind(Kind):
    name = "tariffs"
    loads = staticmethod(ocpi_json.loads)

    def parse(self, obj, *, label: str) -> ParsedTariff:
        return parse_tariff(obj, label=label)

    def key(self, parsed: ParsedTariff) -> tuple[str, ...]:
        f = parsed.fields
        return (
            parsed.country_code.upper(),
            parsed.party_id.upper(),
            f["ocpi_id"].upper(),
            f["target_operator_country_code"].upper(),
            f["target_operator_party_id"].upper(),
        )

    def twice(self, key: tuple) -> str:
        target = f" for {key[3]}*{key[4]}" if key[3] else ""
        return f"tariff {key[2]}{target} of {key[0]}*{key[1]} appears twice."

    def save(self, parsed: list[ParsedTariff], **options) -> ImportResult:
        result, errors = ImportResult(), []
        for tariff_data in parsed:
            errors += _save(tariff_data, result)
        if errors:
            raise ImportRefused(errors)
        return result

    def export(self, operator: Operator | None):
        """Drafts included, withdrawn ones left out, one item per description."""
        queryset = Tariff.objects.filter(withdrawn_at__isnull=True).select_related("operator")
        if operator is not None:
            queryset = queryset.filter(operator=operator)
        for tariff in queryset.order_by("operator", "ocpi_id", "pk"):
            yield tariff_to_ocpi(tariff)

    def report(self, result: ImportResult, label: str) -> list[str]:
        lines = [
            f"{label}: {result.created} tariff description(s) created, {result.updated} updated."
        ]
        for tariff in result.objects:
            if not tariff.is_publishable:
                lines.append(
                    f"  {tariff}: draft, not pushed: Gireve requires start_date_time (§3.10.3)."
                )
            if not tariff.forwarded_to_emsps:
                lines.append(
                    f"  {tariff}: {tariff.type} is not forwarded to eMSPs by Gireve (§2.3.2)."
                )
        return lines


TARIFFS = TariffsKind()


def _save(parsed: ParsedTariff, result: ImportResult) -> list[str]:
    operator = Operator.objects.party(parsed.country_code, parsed.party_id).first()
    if operator is None:
        return [
            f"{parsed.label}: unknown operator {parsed.country_code}*{parsed.party_id} "
            "(create it in admin first)."
        ]
    fields = dict(parsed.fields)
    tariff = Tariff.objects.filter(
        operator=operator,
        ocpi_id__iexact=fields["ocpi_id"],
        target_operator_country_code__iexact=fields["target_operator_country_code"],
        target_operator_party_id__iexact=fields["target_operator_party_id"],
    ).first()
    created = tariff is None
    if created:
        tariff = Tariff(operator=operator)
    else:
        for name in ("ocpi_id", "target_operator_country_code", "target_operator_party_id"):
            fields.pop(name)  # CiString: never change the case of a stored id
        if tariff.withdrawn_at is not None:
            return [f"{parsed.label}: was withdrawn from the hub and can no longer change."]
    for name, value in fields.items():
        setattr(tariff, name, value)
    try:
        tariff.full_clean()
    except ValidationError as exc:
        return error_lines(parsed.label, exc)
    services.publish_and_save(tariff, touch=False)  # keep the file's last_updated
    result.objects.append(tariff)
    if created:
        result.created += 1
    else:
        result.updated += 1
    return []
