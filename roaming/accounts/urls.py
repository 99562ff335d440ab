"""Routes of the login and two-factor pages, included by config/urls.py at the root.

Namespace `two_factor`: the library's views and templates reverse these names. The login
itself is served at /admin/login/ (config/urls.py), so `account/login/` only points there.
"""

from django.urls import path
from django.views.generic import RedirectView
from two_factor.views import QRGeneratorView

from . import views

app_name = "two_factor"
urlpatterns = [
    path(
        "account/login/",
        RedirectView.as_view(pattern_name="admin:login", query_string=True),
        name="login",
    ),
    path("account/two_factor/setup/", views.StaffSetupView.as_view(), name="setup"),
    path("account/two_factor/qrcode/", QRGeneratorView.as_view(), name="qr"),
    path(
        "account/two_factor/setup/complete/",
        views.StaffSetupCompleteView.as_view(),
        name="setup_complete",
    ),
    path(
        "account/two_factor/backup/tokens/",
        views.StaffBackupTokensView.as_view(),
        name="backup_tokens",
    ),
    path("account/two_factor/", views.StaffProfileView.as_view(), name="profile"),
    path("account/two_factor/disable/", views.disable_refused, name="disable"),
]
