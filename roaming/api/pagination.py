"""OCPI 2.2.1 transport_and_format §Pagination: offset/limit/date_from/date_to, Link, totals."""

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from roaming.ocpi_time import parse_inbound_datetime

from .errors import invalid

DEFAULT_MAX_PAGE_SIZE = 100
MAX_INT = 2**31 - 1  # beyond any list; PostgreSQL would refuse the OFFSET (bigint)


def _int_param(request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"{name} must be a non-negative integer") from None
    if not 0 <= value <= MAX_INT:
        raise invalid(f"{name} must be a non-negative integer up to {MAX_INT}")
    return value


def _date_param(request, name: str):
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse_inbound_datetime(raw)
    except ValueError as error:
        raise invalid(f"{name}: {error}") from None


class OcpiPagination(BasePagination):
    """One page of a sender's objects, in creation order.

    transport_and_format §Paginated Response: "the sequence of objects mustn't change, or as
    little as possible ... order the objects by creation date ascending": a QuerySet is read
    by primary key, so an object changed during a crawl keeps its place (issue 9.1).
    date_from is inclusive and date_to exclusive, both on last_updated (mod_locations §GET
    list). The limit is capped by settings.OCPI_MAX_PAGE_SIZE[view.module] (X-Limit).
    """

    def paginate_queryset(self, queryset, request, view=None) -> list:
        maximum = settings.OCPI_MAX_PAGE_SIZE.get(view.module, DEFAULT_MAX_PAGE_SIZE)
        offset = _int_param(request, "offset", 0)
        limit = min(_int_param(request, "limit", maximum), maximum)
        date_from = _date_param(request, "date_from")
        date_to = _date_param(request, "date_to")
        if isinstance(queryset, QuerySet):
            if date_from is not None:
                queryset = queryset.filter(last_updated__gte=date_from)
            if date_to is not None:
                queryset = queryset.filter(last_updated__lt=date_to)
            queryset = queryset.order_by("pk")
            total = queryset.count()
        else:  # a plain sequence of objects with last_updated, already in creation order
            queryset = [
                obj
                for obj in queryset
                if (date_from is None or obj.last_updated >= date_from)
                and (date_to is None or obj.last_updated < date_to)
            ]
            total = len(queryset)
        self.headers = {"X-Total-Count": str(total), "X-Limit": str(maximum)}
        if limit and offset + limit < total:
            params = request.query_params.copy()
            params["offset"] = str(offset + limit)
            params["limit"] = str(limit)
            base = settings.OCPI_BASE_URL.rsplit("/ocpi", 1)[0]
            url = f"{base}{request.path}?{urlencode(sorted(params.items()))}"
            self.headers["Link"] = f'<{url}>; rel="next"'
        return list(queryset[offset : offset + limit]) if limit else []

    def get_paginated_response(self, data) -> Response:
        return Response(data, headers=self.headers)
