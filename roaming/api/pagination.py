"""OCPI 2.2.1 transport_and_format §Pagination: offset/limit/date_from/date_to, Link, totals."""

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet

from .base import invalid, ocpi_response
from .datetimes import parse_inbound_datetime

DEFAULT_MAX_PAGE_SIZE = 100
MAX_INT = 2**31 - 1  # beyond any list; PostgreSQL would refuse the OFFSET (bigint)


def max_page_size(module: str) -> int:
    return settings.OCPI_MAX_PAGE_SIZE.get(module, DEFAULT_MAX_PAGE_SIZE)


def _int_param(request, name: str, default: int) -> int:
    raw = request.GET.get(name)
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
    raw = request.GET.get(name)
    if not raw:
        return None
    try:
        return parse_inbound_datetime(raw)
    except ValueError as error:
        raise invalid(f"{name}: {error}") from None


def paginated_response(request, queryset, serialize, *, module: str):
    """One page of `queryset` (a QuerySet or a sequence), each object through `serialize`.

    date_from is inclusive and date_to exclusive, both on last_updated (OCPI 2.2.1
    mod_locations §GET list). The limit is capped by settings.OCPI_MAX_PAGE_SIZE[module].
    """
    maximum = max_page_size(module)
    offset = _int_param(request, "offset", 0)
    limit = min(_int_param(request, "limit", maximum), maximum)
    date_from = _date_param(request, "date_from")
    date_to = _date_param(request, "date_to")
    if isinstance(queryset, QuerySet):
        if date_from is not None:
            queryset = queryset.filter(last_updated__gte=date_from)
        if date_to is not None:
            queryset = queryset.filter(last_updated__lt=date_to)
        if not queryset.ordered:
            queryset = queryset.order_by("last_updated", "pk")
        total = queryset.count()
    else:  # a plain sequence of objects with last_updated, already in a stable order
        queryset = [
            obj
            for obj in queryset
            if (date_from is None or obj.last_updated >= date_from)
            and (date_to is None or obj.last_updated < date_to)
        ]
        total = len(queryset)
    page = list(queryset[offset : offset + limit]) if limit else []
    headers = {"X-Total-Count": str(total), "X-Limit": str(maximum)}
    if limit and offset + limit < total:
        params = request.GET.copy()
        params["offset"] = str(offset + limit)
        params["limit"] = str(limit)
        base = settings.OCPI_BASE_URL.rsplit("/ocpi", 1)[0]
        url = f"{base}{request.path}?{urlencode(sorted(params.items()))}"
        headers["Link"] = f'<{url}>; rel="next"'
    return ocpi_response([serialize(obj) for obj in page], headers=headers)
