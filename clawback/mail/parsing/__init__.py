"""The message parser: raw RFC 5322 bytes -> ``ParsedMessage`` (pure functions, no models)."""

from clawback.mail.parsing.parser import parse_message
from clawback.mail.parsing.result import AuthResults, ParsedAttachment, ParsedMessage, ParsedUrl

__all__ = ["AuthResults", "ParsedAttachment", "ParsedMessage", "ParsedUrl", "parse_message"]
