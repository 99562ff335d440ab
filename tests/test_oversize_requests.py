"""A form beyond DATA_UPLOAD_MAX_MEMORY_SIZE (a 3 MB paste) or with too many fields is
refused with the friendly 400 page, also under DEBUG as `.ci/start` runs (audit 2, A8/E2:
Django's debug page with a traceback was shown)."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def admin_client_csrf(db):
    client = Client(enforce_csrf_checks=True)  # as a browser: CSRF reads the form first
    client.force_login(UserFactory(username="root", is_superuser=True))
    client.get(reverse("admin:locations_location_add"))  # the CSRF cookie, as a browser has
    return client


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
@pytest.mark.parametrize("csrf", [True, False])
@pytest.mark.parametrize(
    "form",
    [{"name": "x" * (3 * 1024 * 1024)}, {f"f{i}": "1" for i in range(1200)}],
    ids=["3 MB paste", "too many fields"],
)
def test_an_oversize_form_gets_the_friendly_page_under_debug(
    settings, db, admin_client_csrf, client, csrf, form, encoding
):
    settings.DEBUG = True
    if not csrf:
        client.force_login(UserFactory(username="root2", is_superuser=True))
    if csrf:  # a real token: CSRF then reads the whole form (the refusal path of .ci/start)
        form = {**form, "csrfmiddlewaretoken": admin_client_csrf.cookies["csrftoken"].value}
    url = reverse("admin:locations_location_add")
    poster = admin_client_csrf if csrf else client
    if encoding == "urlencoded":  # as the browser posts this form (multipart fails softer)
        answer = poster.post(url, urlencode(form), content_type=FORM)
    else:
        answer = poster.post(url, form)
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "Request refused" in page and "Nothing was saved." in page
    assert "Traceback" not in page and "RequestDataTooBig" not in page
