"""Writes of eMSP data pushed to us."""

from django.db import transaction

from .models import Token
from .ocpi import token_fields


def find_token(*, country_code: str, party_id: str, uid: str, type: str) -> Token | None:
    return Token.objects.filter(
        country_code__iexact=country_code, party_id__iexact=party_id, uid__iexact=uid, type=type
    ).first()


@transaction.atomic
def put_token(*, platform, data: dict) -> tuple[Token, bool]:
    """Create or replace a Token (OCPI 2.2.1 mod_tokens PUT); `data` is a validated Token."""
    token = find_token(**{name: data[name] for name in ("country_code", "party_id", "uid", "type")})
    created = token is None
    if created:
        token = Token(platform=platform)
    defaults = {
        name: "" for name in ("visual_number", "group_id", "language", "default_profile_type")
    }
    for name, value in {**defaults, "energy_contract": None, **token_fields(data)}.items():
        setattr(token, name, value)
    token.platform = platform
    token.full_clean()
    token.save()
    return token, created


@transaction.atomic
def patch_token(*, token: Token, data: dict) -> Token:
    """Update the given fields of a Token (OCPI 2.2.1 mod_tokens PATCH); `data` validated."""
    for name, value in token_fields(data).items():
        setattr(token, name, value)
    token.full_clean()
    token.save()
    return token
