"""A form too large (a 3 MB paste) or with too many fields gets the friendly 400 page, under
DEBUG too (audit 2, A8): Django answers it with its debug page there, traceback and all.

The form is read here, before CsrfViewMiddleware reads it (where Django would turn the error
into a response we never see), and only when CSRF would read it anyway: an unsafe method on a
view that is not csrf_exempt (the OCPI API is, and answers 413 itself: roaming.api.errors).
"""

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponseBadRequest
from django.template import loader

REFUSED = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def refuse(request, exc):
    """The 400 page, logged where Django logs it (django.security.<name>)."""
    logging.getLogger(f"django.security.{type(exc).__name__}").error(
        str(exc), extra={"status_code": 400, "request": request}
    )
    # Not django.views.defaults.bad_request: its requires_csrf_token reads the form again.
    return HttpResponseBadRequest(loader.render_to_string("400.html"))


class OversizeFormMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return None
        if getattr(view_func, "csrf_exempt", False):
            return None
        try:
            request.POST  # noqa: B018 - parsed now, where its refusal can be answered
        except REFUSED as exc:
            return refuse(request, exc)
        return None

    def process_exception(self, request, exception):
        # A view reading the form itself (the test client skips the CSRF read).
        return refuse(request, exception) if isinstance(exception, REFUSED) else None
