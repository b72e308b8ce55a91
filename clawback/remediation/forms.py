"""Input of the Action center pages.  Forms parse and validate; the ``do_*`` actions decide."""

from __future__ import annotations

from typing import Any

from django import forms

from clawback.remediation import queries
from clawback.remediation.models import Action, ItemState, Source, Status

PENDING, HISTORY = "pending", "history"
HISTORY_STATUSES = [(value, label) for value, label in Status.choices if value not in queries.PENDING_TAB]


def _any(label: str, choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", label), *choices]


class DateInput(forms.DateInput):
    input_type = "date"


class FiltersForm(forms.Form):
    """The filters of a tab (SPEC §5), from the query string.  Empty fields do not filter."""

    name = forms.CharField(required=False, max_length=200, label="Name contains")
    approval_id = forms.CharField(required=False, max_length=16, label="Approval ID")
    investigation_id = forms.CharField(required=False, max_length=32, label="Investigation ID")
    status = forms.ChoiceField(required=False, choices=_any("Any status", HISTORY_STATUSES))
    source = forms.ChoiceField(required=False, choices=_any("Any source", Source.choices), label="Action source")
    action = forms.ChoiceField(required=False, choices=_any("Any action", Action.choices), label="Action type")
    decided_by = forms.ChoiceField(required=False, label="Decided by")
    since = forms.DateField(required=False, widget=DateInput, label="Submitted from")
    until = forms.DateField(required=False, widget=DateInput, label="Submitted to")

    def __init__(self, *args: Any, tab: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if tab == PENDING:
            # Everything on Pending waits for a decision: no status to pick, nobody decided yet.
            del self.fields["status"]
            del self.fields["decided_by"]
        else:
            names = queries.decided_by_choices()
            self.fields["decided_by"].choices = _any("Anyone", [(n, n) for n in names])  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The “from” date is after the “to” date.")
        return data

    def filters(self) -> queries.Filters:
        data = self.cleaned_data
        return queries.Filters(
            name=data["name"].strip(),
            approval_id=data["approval_id"].strip(),
            investigation_id=data["investigation_id"].strip(),
            status=data.get("status", ""),
            source=data["source"],
            action=data["action"],
            decided_by=data.get("decided_by", ""),
            since=data["since"],
            until=data["until"],
        )

    @property
    def active(self) -> bool:
        """Whether any filter is set (the page offers to clear them)."""
        return self.is_bound and any(value not in (None, "") for value in self.cleaned_data.values())


class LogForm(forms.Form):
    """The action log's filter: one result only, or every result."""

    result = forms.ChoiceField(required=False, choices=_any("Every result", ItemState.choices), label="Result")


class RejectForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional; recorded with the decision and shown in the History.",
    )


class UndoForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        label="Name of the undo remediation",
        help_text="Undo is a new remediation that puts every message back in its folder, with its flags.",
    )
    propose = forms.BooleanField(
        required=False,
        label="Propose it for another person to approve instead of running it now",
    )
