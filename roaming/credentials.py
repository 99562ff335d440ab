"""The Credentials object others send us (OCPI 2.2.1 credentials §Credentials object)."""

import re

from .enums import ImageCategory, Role
from .ocpi_serializers import Enum, Number, OcpiSerializer, String, Url


class Image(OcpiSerializer):
    """mod_locations §Image (a logo in BusinessDetails)."""

    object_name = "Image"
    url = Url()
    thumbnail = Url(required=False)
    category = Enum(ImageCategory)
    type = String(4, ci=True)
    width = Number(integer=True, minimum=0, required=False)
    height = Number(integer=True, minimum=0, required=False)


class BusinessDetails(OcpiSerializer):
    object_name = "BusinessDetails"
    name = String(100)
    website = Url(required=False)
    logo = Image(required=False, allow_null=True)


class CredentialsRole(OcpiSerializer):
    object_name = "CredentialsRole"
    role = Enum(Role)
    business_details = BusinessDetails()
    party_id = String(3, ci=True, exact=True)
    country_code = String(2, ci=True, exact=True)


class Credentials(OcpiSerializer):
    object_name = "Credentials"
    # credentials §Credentials object: printable non-whitespace ASCII (U+0021 to U+007E).
    token = String(
        64,
        ci=True,
        pattern=re.compile(r"[!-~]+"),
        hint="printable ASCII without spaces (U+0021 to U+007E)",
    )
    url = Url()
    roles = CredentialsRole(many=True, allow_empty=False)


def credentials_errors(data) -> list[str]:
    return Credentials.problems(data)
