"""OCPI routes of this app (included by config/urls.py under /ocpi/) and their module."""

from django.urls import path

from roaming.views import register_module

from .views import TariffsView

register_module("tariffs", "SENDER", "tariffs")

urlpatterns = [path("2.2.1/tariffs", TariffsView.as_view(), name="ocpi-tariffs")]
