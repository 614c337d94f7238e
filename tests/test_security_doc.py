"""SECURITY.md names the tests behind each promise: every test file and test it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"^- `(tests/[\w/]+\.py)`(?::(.*)| \(.*\))?$")


def _citations() -> list[tuple[str, list[str]]]:
    """(test file, the test names cited from it) for every bullet of SECURITY.md; a bullet's
    continuation lines (indented) belong to it."""
    bullets: list[str] = []
    for line in (ROOT / "SECURITY.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("- `tests/"):
            bullets.append(line)
        elif bullets and line.startswith("  ") and line.strip():
            bullets[-1] += " " + line.strip()
        elif not line.strip() or line.startswith("#"):
            continue
    found = []
    for bullet in bullets:
        match = CITATION.match(bullet)
        assert match, f"a citation not of the form - `tests/file.py`: `test_…`: {bullet!r}"
        found.append((match[1], re.findall(r"`(test_\w+)`", match[2] or "")))
    return found


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_security_md_cites_exists():
    citations = _citations()
    assert len(citations) > 20
    missing = []
    for file, names in citations:
        path = ROOT / file
        if not path.is_file():
            missing.append(file)
            continue
        missing += [f"{file}::{name}" for name in set(names) - _tests_in(path)]
    assert not missing, "SECURITY.md cites tests that do not exist: " + ", ".join(missing)
