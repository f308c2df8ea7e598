"""docs/threat-model.md claims a protection only with the test that proves it: every test
it names must exist, so a renamed or deleted test cannot leave a claim standing alone."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

REPO = Path(settings.REPO_DIR)
DOC = REPO / "docs" / "threat-model.md"
# `path/to/test_x.py::test_name` or `::test_name` (same file as the last one named)
NODE = re.compile(r"`((?:[\w./-]+\.py)?)::(\w+)`")


def named_tests(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    current = ""
    for path, name in NODE.findall(text):
        current = path or current
        assert current, f"::{name} is named before any test file"
        found.append((current, name))
    return found


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_the_threat_model_names_exists():
    named = named_tests(DOC.read_text(encoding="utf-8"))
    assert len(named) > 150  # the document names its tests; an empty parse would pass
    missing = []
    cache: dict[str, set[str]] = {}
    for path, name in named:
        file = REPO / path
        if not file.is_file():
            missing.append(f"{path} (no such file)")
            continue
        if path not in cache:
            cache[path] = defined_tests(file)
        if name not in cache[path]:
            missing.append(f"{path}::{name}")
    assert not missing, "named in docs/threat-model.md but not found:\n" + "\n".join(missing)


def test_the_check_would_catch_a_missing_test():
    text = "`amparo/core/tests/test_threat_model.py::test_no_such_thing`"
    ((path, name),) = named_tests(text)
    assert name not in defined_tests(REPO / path)
