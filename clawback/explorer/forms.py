"""Forms of the Explorer's Take action flow: what is selected, and what to do with it.

The selection travels between the steps as hidden fields and is re-validated by the server at
every step (``copies_for`` applies the limits); nothing about it is kept in the session.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from clawback.remediation.actions import USER_ACTIONS
from clawback.remediation.models import Action, Remediation, Severity, Status
from clawback.remediation.selection import Selection

SCOPE_IDS = "ids"  # the ticked rows
SCOPE_QUERY = "query"  # every result of the query, minus the exclusions


class IdListField(forms.Field):
    """Copy ids posted as repeated fields (``ids=3&ids=7``), cleaned to a sorted tuple."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> tuple[int, ...]:
        values = [value] if isinstance(value, str) else list(value or [])
        try:
            ids = {int(v) for v in values if str(v).strip()}
        except (TypeError, ValueError):
            raise ValidationError("copy ids are whole numbers", code="invalid") from None
        if any(i < 1 for i in ids):
            raise ValidationError("copy ids are positive numbers", code="invalid")
        return tuple(sorted(ids))


class SelectionForm(forms.Form):
    """Hand-picked ``ids``, or the ``query`` minus ``exclusions``.

    From the results page in select-all mode, ``shown`` holds the rows of the page and ``ids``
    those still ticked: the unticked rows join the exclusions.
    """

    scope = forms.ChoiceField(choices=[(SCOPE_IDS, "Selected messages"), (SCOPE_QUERY, "All results")])
    query = forms.CharField(required=False, max_length=20_000, strip=False)
    ids = IdListField()
    exclusions = IdListField()
    shown = IdListField()

    def clean_query(self) -> str:
        # Browsers submit line breaks in form values as CRLF (HTML §4.10.21.8); the query
        # language counts LF, as on the search page.
        return str(self.cleaned_data["query"]).replace("\r\n", "\n")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == SCOPE_IDS and not data.get("ids"):
            raise ValidationError("No messages selected: tick rows in the results, or select all results.")
        if data.get("scope") == SCOPE_QUERY and not str(data.get("query", "")).strip():
            # The search page never posts an empty query (it shows the default range instead);
            # an empty query would match every copy in the index.
            raise ValidationError("Select all needs a query: search first, then select all results.")
        return data

    def selection(self) -> Selection:
        """The selection the (valid) form names."""
        data = self.cleaned_data
        if data["scope"] == SCOPE_IDS:
            return Selection.picked(data["ids"])
        unticked = set(data["shown"]) - set(data["ids"])
        return Selection.of_query(data["query"], sorted(set(data["exclusions"]) | unticked))


class ActionForm(forms.Form):
    """Step 1: what to do with the selection."""

    action = forms.ChoiceField(
        label="Action",
        choices=[(a.value, a.label) for a in USER_ACTIONS],
        initial=Action.MOVE_TO_JUNK,  # the gentlest way out of the user's sight
        help_text="Hard delete purges the messages for good: it cannot be undone.",
    )
    name = forms.CharField(
        label="Name",
        max_length=Remediation._meta.get_field("name").max_length,
        help_text="Unique: the Action center lists remediations by name.",
    )
    severity = forms.ChoiceField(label="Severity", choices=Severity.choices, initial=Severity.MEDIUM)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    include_sender_copy = forms.BooleanField(
        label="Also act on the sender's copy",
        required=False,
        help_text="For internal senders: the copy in the sender's Sent folder is remediated too.",
    )

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        # Checked here for a friendly error at step 1; do_submit checks again atomically.
        if Remediation.objects.filter(name=name).exists():
            raise ValidationError(f"A remediation named {name!r} already exists; names are unique.")
        return name

    @property
    def is_hard_delete(self) -> bool:
        return self.is_valid() and self.cleaned_data["action"] == Action.HARD_DELETE


def open_proposals() -> QuerySet[Remediation]:
    """Proposals still waiting for approval: the ones messages can be added to."""
    return (
        Remediation.objects.filter(status=Status.PENDING_APPROVAL)
        .exclude(expires_at__lte=timezone.now())
        .order_by("-submitted_at")
    )


class ProposalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Remediation) -> str:
        messages = f"{obj.item_count:,} message{'' if obj.item_count == 1 else 's'}"
        return f"{obj.name} ({obj.approval_id}) · {obj.get_action_display()} · {messages}"


class AddToProposalForm(forms.Form):
    """Step 3, the alternative: add the selection to an open proposal."""

    proposal = ProposalChoiceField(
        label="Open proposal",
        queryset=Remediation.objects.none(),
        to_field_name="approval_id",
        empty_label=None,
        help_text="The messages are added with that proposal's action; it still needs approval.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["proposal"]
        assert isinstance(field, ProposalChoiceField)
        field.queryset = open_proposals()
