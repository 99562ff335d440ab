"""Every model registered in admin: changelist, add and change pages render for a superuser."""

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
def test_admin_pages_render(admin_client, model):
    model_factory = factories.factory_for(model)
    assert model_factory is not None, f"tests/factories.py has no factory for {model._meta.label}"
    obj = model_factory()
    info = (model._meta.app_label, model._meta.model_name)

    changelist = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert changelist.status_code == 200
    searched = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "x"})
    assert searched.status_code == 200

    model_admin = admin.site._registry[model]
    request = changelist.wsgi_request
    if model_admin.has_add_permission(request):
        assert admin_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200

    change = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[quote(obj.pk)]))
    assert change.status_code == 200
    assert change.context["original"] == obj
