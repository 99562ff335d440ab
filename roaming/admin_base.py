"""What every ops screen shares: permission-checked custom views, and refusals shown on the form.

Issue 11: every admin action and custom admin view declares its permission (a test walks
them all: tests/test_admin_permissions.py), and bad input never ends in a server error.
"""

import json
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, models, transaction
from django.utils import timezone
from django.utils.html import format_html


def permission_view(model_admin, view: Callable, permission: str) -> Callable:
    """A custom admin view for users holding `permission` ("app.codename"); others get 403.

    The permission is kept on the view (`permission_required`) so the URL walk can check it.
    """

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    checked.permission_required = permission
    return model_admin.admin_site.admin_view(checked)


def _no_nul(value) -> None:
    """PostgreSQL stores no NUL character, in text or in JSON (a 500 found by posting one)."""
    if "\\u0000" in json.dumps(value, default=str):
        raise ValidationError("Remove the NUL character (\\u0000): it cannot be stored.")


class ReadOnlyAdmin:
    """A record written only by services (hub exchanges, audit, sessions, CDRs): viewed, never
    added, edited or deleted by hand, not even by a superuser (retention purges only).

    Mix in before admin.ModelAdmin; `obj` is optional so inlines may use it too.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceRefusalsOnForm:
    """A ValidationError raised by a service while saving (save_model, save_formset) is shown
    on the form with everything typed kept, instead of a server error; nothing is saved.

    Forms should catch what they can first (a row error beats a page error); this is the net
    for rules only the service knows (audit screenshot 31: a 500 from the EVSE inline).
    """

    def _changeform_view(self, request, object_id, form_url, extra_context):
        if request.method != "POST" or hasattr(request, "_service_refusal"):
            return super()._changeform_view(request, object_id, form_url, extra_context)
        try:
            with transaction.atomic():
                return super()._changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refusal:
            request._service_refusal = refusal  # the second pass shows it, saves nothing
        except DataError as error:  # what PostgreSQL refuses (NUL in text or JSON...)
            problem = str(error).splitlines()[0]
            request._service_refusal = ValidationError(f"A value cannot be stored ({problem}).")
        return super()._changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # A refused form has already put its values on `obj`: the title and breadcrumb name
        # the object as stored, not the refused value (audit 2: "Error: FR*ZZ9*E1").
        if change and obj is not None and obj.pk and context["adminform"].form.errors:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            if stored is not None:
                context.update(original=stored, subtitle=str(stored))
        # Keywords: nested_admin's override takes `obj` third.
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.JSONField) and field is not None:
            field.validators = [*field.validators, _no_nul]
        return field

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form_class

        class Refused(form_class):
            def clean(self):
                cleaned = super().clean()
                for message in refusal.messages:
                    self.add_error(None, f"{message} Nothing was saved.")
                return cleaned

        Refused.__name__ = form_class.__name__
        return Refused


# --- list cells that keep a change list within 1280 px (audit 2, E3) ----------------------


def truncated(text: str, length: int = 40):
    """The start of a long value; the whole of it in the title (hover) and in search."""
    text = str(text or "")
    if len(text) <= length:
        return text or "—"
    return format_html('<span title="{}">{}…</span>', text, text[: length - 1])


def short_time(value) -> str:
    """A moment in 16 characters (2026-12-06 23:14), in the active time zone."""
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else "—"
