"""Routes of the finance UI, included by config/urls.py under /finance/."""

from django.urls import path

from . import views

app_name = "finance"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cdrs/", views.cdr_list, name="cdrs"),
    path("cdrs/export.<str:fmt>", views.cdr_export, name="cdrs-export"),
    path("cdrs/<int:pk>/", views.cdr_detail, name="cdr"),
    path("cdrs/<int:pk>/credit/", views.cdr_credit, name="credit"),
    path("statements/", views.statement, name="statement"),
    path("statements/export.<str:fmt>", views.statement_export, name="statement-export"),
]
