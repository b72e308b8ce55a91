from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def as_json(value: Any) -> str:
    """Compact JSON for display.  Not marked safe: autoescaping still applies."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
