"""OCPI API routes (filled in by the connection module)."""

urlpatterns: list = []
