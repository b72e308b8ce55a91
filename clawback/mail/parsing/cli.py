"""``clawback parse PATH...``: parse .eml files and print one JSON object per message per line."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, TextIO

from clawback.mail.parsing.parser import parse_message


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        # Not is_file(): a dangling link or unreadable entry must be reported, not skipped.
        yield from sorted(p for p in path.rglob("*.eml") if not p.is_dir())
    else:
        yield path


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def run_parse(paths: list[str], out: TextIO, org_domains: Collection[str] = ()) -> int:
    """Parse every file (directories: every ``*.eml`` below them).  A file that cannot be read
    becomes a line with its path and the problem; a path that does not exist makes the exit
    code 1 but the others are still parsed."""
    status = 0
    for name in paths:
        root = Path(name)
        if not root.exists():
            out.write(_line({"path": name, "parse_problems": ["no such file or directory"]}) + "\n")
            status = 1
            continue
        for file in _files(root):
            try:
                raw = file.read_bytes()
            except OSError as exc:
                problem = f"file could not be read ({exc.strerror or type(exc).__name__})"
                out.write(_line({"path": str(file), "parse_problems": [problem]}) + "\n")
                continue
            parsed = parse_message(raw, org_domains=org_domains)
            out.write(_line(parsed.to_json(str(file))) + "\n")
    return status
