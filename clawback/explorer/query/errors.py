"""The one error type of the query language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Where a token sits in the query text: 0-based offsets, 1-based line and column."""

    start: int
    end: int
    line: int
    column: int
    token: str

    @classmethod
    def at(cls, text: str, start: int, end: int) -> Span:
        """The span of ``text[start:end]``, counting lines the way the lexer does (``\\n``)."""
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        return cls(start, end, line, column, text[start:end])


# Used for nodes built by hand (no source text): errors then point at the start.
NOWHERE = Span(0, 0, 1, 1, "")


class QueryError(ValueError):
    """Raised for any query that cannot be parsed or compiled.

    ``token`` is the offending text as typed, ``position`` its 0-based offset, ``line`` and
    ``column`` (1-based) where it starts; ``hint`` says what to do instead, when we know.
    """

    def __init__(
        self,
        message: str,
        *,
        token: str = "",
        position: int = 0,
        line: int = 1,
        column: int = 1,
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.token = token
        self.position = position
        self.line = line
        self.column = column
        self.hint = hint

    @classmethod
    def at(cls, span: Span, message: str, hint: str = "") -> QueryError:
        return cls(
            message,
            token=span.token,
            position=span.start,
            line=span.line,
            column=span.column,
            hint=hint,
        )

    def __str__(self) -> str:
        where = f"{self.message} at line {self.line}, column {self.column}"
        return f"{where}; {self.hint}" if self.hint else where

    def caret(self, text: str) -> str:
        """The offending line of ``text`` with ``^`` under the token (tabs kept for alignment)."""
        lines = text.split("\n")
        line = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        before = line[: self.column - 1]
        pad = "".join("\t" if char == "\t" else " " for char in before)
        width = max(1, min(len(self.token), len(line) - len(before)))
        return f"{line}\n{pad}{'^' * width}"
