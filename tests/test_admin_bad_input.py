"""Bad input to every add and change form of the admin: a clear error, nothing saved, no 500.

Each field of each form is replaced in turn by values a person (or a paste) can produce;
the rest of the form is what the page offered. Developers' guide: "Bad input: clear error,
nothing changed, never a 500."
"""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.urls import reverse

from locations.models import EVSE, Location
from tests import factories
from tests.admin_forms import form_data

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)
TOO_LONG = "x" * 20_000  # far beyond any column (audit screenshot 29 posted 10 MB)
NUL_TEXT = "nul\x00 [1,"  # a NUL character PostgreSQL cannot store, and broken JSON
NUL_JSON = '{"name": "nul \\u0000 inside", "n": 1e400}'  # JSON PostgreSQL cannot store
HUGE_NUMBER = "-99999999999999999999"  # beyond any integer or decimal column
YEAR_ONE = "0001-01-01"  # a date whose UTC offset leaves the calendar
SKIPPED = {"csrfmiddlewaretoken"}  # not data: CSRF checks are Django's


def _bad_values(value: str, *, full: bool) -> list[str]:
    """What to try in a field showing `value`: every field gets text, and each kind of
    field also what breaks its kind (fewer on the add page, which has the same checks)."""
    values = [TOO_LONG, NUL_TEXT] if full else [TOO_LONG]
    if value.startswith(("[", "{")) or value == "null":
        values.append(NUL_JSON)
    if full and (value == "" or value.lstrip("-").replace(".", "", 1).isdigit()):
        values.append(HUGE_NUMBER)
    if full and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        values.append(YEAR_ONE)
    return values


def _snapshot(obj):
    obj.refresh_from_db()
    return {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _mutations(data: dict[str, list[str]], *, full: bool):
    for name, current in data.items():
        if name in SKIPPED or name.endswith("_FORMS"):  # formset management: Django's
            continue
        for value in _bad_values(current[0] if current else "", full=full):
            yield name, value, {**data, name: [value]}


@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
def test_bad_input_to_every_admin_form_never_500s_and_saves_nothing(admin_client, model):
    obj = factories.factory_for(model)()
    info = model._meta.app_label, model._meta.model_name
    pages = [reverse("admin:{}_{}_change".format(*info), args=[quote(obj.pk)])]
    if admin.site._registry[model].has_add_permission(admin_client.get(pages[0]).wsgi_request):
        pages.append(reverse("admin:{}_{}_add".format(*info)))

    for url in pages:
        page = admin_client.get(url)
        if page.context.get("has_change_permission") is False and url == pages[0]:
            continue  # a read-only page has nothing to post
        offered = form_data(page.content.decode())
        for name, value, posted in _mutations(offered, full=url == pages[0]):
            count, before = model.objects.count(), _snapshot(obj)
            answer = admin_client.post(url, posted)
            assert answer.status_code in (200, 302), (url, name, value[:20])
            if answer.status_code == 200:  # refused: nothing saved
                assert model.objects.count() == count, (url, name, value[:20])
                assert _snapshot(obj) == before, (url, name, value[:20])


def test_duplicate_evse_uid_in_the_location_inline_is_a_row_error_with_data_kept(admin_client):
    evse = factories.EVSEFactory(uid="NTE-1")
    location = evse.location
    url = reverse("admin:locations_location_change", args=[location.pk])
    data = form_data(admin_client.get(url).content.decode())
    data.update(
        {
            "name": ["Renamed with the new EVSE"],
            "evses-TOTAL_FORMS": ["2"],
            "evses-1-uid": ["nte-1"],  # uids compare case-insensitively
            "evses-1-evse_id": [f"{location.operator.emi3_id}*ENTE2"],
            "evses-1-status": ["AVAILABLE"],
            "evses-1-physical_reference": ["Typed by hand"],
            "evses-1-tariff_ids": [""],
            "evses-1-location": [str(location.pk)],
        }
    )

    answer = admin_client.post(url, data)

    assert answer.status_code == 200
    formset = answer.context["inline_admin_formsets"][0].formset
    assert formset.forms[1].errors["uid"] == ["Another EVSE of this location has this uid."]
    assert 'value="Typed by hand"' in answer.content.decode()
    assert EVSE.objects.count() == 1
    assert Location.objects.get(pk=location.pk).name == location.name


def test_too_large_form_is_refused_readably_and_saves_nothing(admin_client):
    location = factories.LocationFactory()
    url = reverse("admin:locations_location_change", args=[location.pk])
    data = form_data(admin_client.get(url).content.decode())

    answer = admin_client.post(url, {**data, "name": ["x" * 3_000_000]})

    assert answer.status_code == 400
    assert "too large" in answer.content.decode()
    assert Location.objects.get(pk=location.pk).name == location.name
