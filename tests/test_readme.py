"""The README's layout section stays true to the tree.

Every package under app/ and every module directly in app/ has its own line; every module
the section names inside a package exists. Modules inside a package need not all be named:
the section says what a package is for, not each of its files.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
ENTRY = re.compile(r"^(?P<indent>(?:  )?)(?P<name>[\w./-]+)\s{2,}(?P<text>.*)$")
CONTINUATION = re.compile(r"^ {4,}(?P<text>\S.*)$")
MODULE = re.compile(r"\b(\w+\.py)\b")


def _layout_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```\n(.*?)^```", section, re.S | re.M)
    assert block, "the Layout section has no code block"
    return block.group(1).splitlines()


def _entries() -> tuple[dict[str, str], dict[str, str]]:
    """({top-level name: text}, {name inside app/: text}); a description's continuation
    lines belong to the entry above them."""
    top: dict[str, str] = {}
    in_app: dict[str, str] = {}
    current: tuple[dict[str, str], str] | None = None
    parent = None
    for line in _layout_block():
        if not line.strip():
            continue
        if entry := ENTRY.match(line):
            name, text = entry["name"], entry["text"]
            if not entry["indent"]:
                parent = name
                current = (top, name)
            else:
                assert parent == "app/", f"only app/ has entries inside it: {line!r}"
                current = (in_app, name)
            assert name not in current[0], f"{name} has two lines"
            current[0][name] = text
        elif more := CONTINUATION.match(line):
            assert current, f"a continuation line with no entry above it: {line!r}"
            table, name = current
            table[name] += " " + more["text"]
        else:
            raise AssertionError(
                f"a layout line that is neither an entry nor its description: {line!r}"
            )
    return top, in_app


def _packages() -> set[str]:
    """Every directory under app/ holding Python modules, as "name/" (or "a/b/")."""
    found = set()
    for module in APP.rglob("*.py"):
        folder = module.parent
        if folder != APP and "__pycache__" not in folder.parts:
            found.add(folder.relative_to(APP).as_posix() + "/")
    return found


def _top_level_modules() -> set[str]:
    return {p.name for p in APP.glob("*.py") if p.name != "__init__.py"}


def test_every_app_package_and_module_has_a_line():
    _, in_app = _entries()
    described_packages = {name for name in in_app if name.endswith("/")}
    described_modules = {name for name in in_app if name.endswith(".py")}
    assert _packages() - described_packages == set(), "packages missing from the README layout"
    assert _top_level_modules() - described_modules == set(), (
        "modules of app/ missing from the README layout"
    )


def test_everything_the_layout_names_exists():
    top, in_app = _entries()
    assert "app/" in top
    for name in top:
        assert (ROOT / name).exists(), f"the README layout names {name}, which does not exist"
    for name, text in in_app.items():
        path = APP / name
        assert path.exists(), f"the README layout names app/{name}, which does not exist"
        if name.endswith("/"):
            for module in MODULE.findall(text):
                assert (path / module).is_file(), (
                    f"the README layout names {module} in app/{name}, which does not exist"
                )
        else:
            assert name.endswith(".py"), f"app/{name}: an app/ entry is a package or a module"
