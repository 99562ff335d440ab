"""Gireve §3.10.4: one tariff id, one description per eMSP plus a default one."""

from .numbers import PricingError, written
from .tariff import _object


def select_tariff_for_emsp(tariffs, tariff_id: str, emsp: str | None = None) -> dict:
    """Pick the description of `tariff_id` targeted at eMSP `FR*ABC`, else the default one.

    Gireve §3.10.4: one tariff id may have several descriptions; one without
    target_operator_country_code/party_id applies to every eMSP, the others to one eMSP each.
    """
    country, party = _split_party(emsp) if emsp else (None, None)
    default = targeted = None
    for position, tariff in enumerate(tariffs):
        field = f"[{position}]"
        tariff = _object(tariff, field)
        if str(tariff.get("id", "")).upper() != tariff_id.upper():  # CiString
            continue
        target_country = tariff.get("target_operator_country_code")
        target_party = tariff.get("target_operator_party_id")
        for name, value in (
            ("target_operator_country_code", target_country),
            ("target_operator_party_id", target_party),
        ):
            if value is not None and not isinstance(value, str):
                raise PricingError(f"{field}.{name}: must be a string, not {written(value)}")
        if bool(target_country) != bool(target_party):
            # Gireve §3.10.4: each field "shall be filled if" the other one is.
            raise PricingError(
                f"{field}.target_operator_country_code: must be set together with "
                f"target_operator_party_id (tariff {tariff_id})"
            )
        if not target_country:
            if default is not None:
                raise PricingError(f"{field}: a second default description of tariff {tariff_id}")
            default = tariff
        elif (
            country
            and target_country.upper() == country
            and target_party.upper() == party
            and targeted is None
        ):
            targeted = tariff
    chosen = targeted or default
    if chosen is None:
        target = f" for eMSP {emsp}" if emsp else ""
        raise PricingError(f"tariff {tariff_id}: no description{target} and no default one")
    return chosen


def _split_party(emsp: str) -> tuple[str, str]:
    """'FR*ABC', 'FR-ABC' or 'FRABC' → ('FR', 'ABC')."""
    compact = emsp.replace("*", "").replace("-", "").upper()
    if len(compact) != 5 or not compact.isalnum():
        raise PricingError(f"emsp: {emsp!r} is not an eMSP party id like FR*ABC")
    return compact[:2], compact[2:]
