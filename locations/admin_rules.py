"""Admin form rules the hub relies on, shown as errors on the row that breaks them.

- EVSE uids are unique per location, compared case-insensitively (the database constraint
  `evse_unique_uid`); the inline's own validation skips it because `location` is not a form
  field, so a duplicate reached the service and ended in a 500 (UX audit screenshot 31).
- REMOVED is final (OCPI 2.2.1 mod_locations: EVSEs are never deleted, REMOVED takes their
  place) and is set only by the admin action that asks for confirmation.
"""

from django import forms

from .enums import Status
from .models import EVSE

REMOVED_BY_ACTION = (
    "REMOVED is final: use the action “Mark selected EVSEs as REMOVED” on the EVSE list, "
    "which asks for confirmation."
)
REMOVED_IS_FINAL = "This EVSE is REMOVED, which is final. Add a new EVSE instead."


def status_error(form) -> str | None:
    """What is wrong with the status chosen on an EVSE form, if anything."""
    status = form.cleaned_data.get("status")
    before = form.initial.get("status") if form.instance.pk else None
    if status is None or status == before:
        return None
    if before == Status.REMOVED:
        return REMOVED_IS_FINAL
    if status == Status.REMOVED:
        return REMOVED_BY_ACTION
    return None


def with_status_rules(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """The EVSE page's form with the REMOVED rules."""

    class EVSEStatusRulesForm(form_class):
        def clean(self):
            cleaned = super().clean()
            if "status" in self.fields:
                error = status_error(self)
                if error:
                    self.add_error("status", error)
            return cleaned

    return EVSEStatusRulesForm


class EVSERowRules:
    """The location page's EVSE rows: duplicate uids and REMOVED rules as row errors
    (a mixin for an inline formset, nested or not)."""

    def clean(self):
        super().clean()
        seen: dict[str, object] = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            uid = (form.cleaned_data.get("uid") or "").upper()
            if uid and uid in seen:
                form.add_error("uid", "Another EVSE of this location has this uid.")
            elif uid and self._taken_elsewhere(form, uid):
                form.add_error("uid", "This location already has an EVSE with this uid.")
            seen.setdefault(uid, form)
            if "status" in form.fields and (error := status_error(form)):
                form.add_error("status", error)

    def _taken_elsewhere(self, form, uid: str) -> bool:
        if self.instance.pk is None:
            return False
        others = EVSE.objects.filter(location=self.instance, uid__iexact=uid)
        if form.instance.pk is not None:
            others = others.exclude(pk=form.instance.pk)
        shown = [f.instance.pk for f in self.forms if f.instance.pk is not None]
        return others.exclude(pk__in=shown).exists()
