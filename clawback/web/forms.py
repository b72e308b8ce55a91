"""Input of the Settings pages.  Forms parse and validate; the do_* actions decide."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator

# RFC 1035 host name labels after IDNA encoding; at least two labels.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})+$")


def _ascii_domain(raw: str) -> str | None:
    try:
        domain = raw.strip().rstrip(".").lower().encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return domain if DOMAIN_RE.match(domain) else None


class OrgDomainsForm(forms.Form):
    domains = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="One domain per line (or separated by commas). Mail from these domains is "
        "outbound or intra-org; mail to them is inbound.",
    )

    def clean_domains(self) -> list[str]:
        items = [item for item in re.split(r"[\s,]+", self.cleaned_data["domains"]) if item]
        bad = [item for item in items if _ascii_domain(item) is None]
        if bad:
            raise forms.ValidationError(f"Not a domain name: {', '.join(bad)}")
        return sorted({d for d in (_ascii_domain(item) for item in items) if d})


class AddUserForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = forms.EmailField(required=False)
    groups = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, help_text="The role groups the user belongs to."
    )
    password = forms.CharField(strip=False, widget=forms.PasswordInput(render_value=False))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        names = Group.objects.order_by("name").values_list("name", flat=True)
        self.fields["groups"].choices = [(name, name) for name in names]  # type: ignore[attr-defined]

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “SIEM export”.")
    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, initial="90")

    def expires_at(self, now: datetime) -> datetime | None:
        days = self.cleaned_data["expires_in"]
        return now + timedelta(days=int(days)) if days else None
