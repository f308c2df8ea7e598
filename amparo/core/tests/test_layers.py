"""Layers point one way (DESIGN.md, "One of each"): ``lib`` ← ``accounts`` (with
``twofactor``) ← ``channels`` ← ``people`` ← the domain apps in order (hotline, reports,
alerts; then cases and audits, side by side; then documents, playbooks, campaigns and fund)
← ``core``. No module imports an app above its own: not at the top, not
deferred into a function, not under ``TYPE_CHECKING``. An app above reaches down; an
app below that needs one above calls a dotted path from settings (the hooks).
"""

from __future__ import annotations

import ast
from importlib import import_module
from pathlib import Path

from django.utils.module_loading import import_string

from amparo import settings

AMPARO = Path(__file__).resolve().parents[2]
#: each app's layer; a module may import its own layer and the ones below
LAYER = {
    "lib": 0,
    "accounts": 1,
    "twofactor": 1,
    "channels": 2,
    "people": 3,
    "hotline": 4,
    "reports": 5,
    "alerts": 6,
    "cases": 7,
    "support": 7,
    "audits": 7,
    "hearings": 7,
    "documents": 8,
    "playbooks": 8,
    "campaigns": 8,
    "fund": 8,
    "core": 9,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(AMPARO.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, module) for every import of the file ``module``, wherever it is written:
    at the top, inside a function, under ``if TYPE_CHECKING``."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level:  # relative: from the package, one level up per extra dot
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, name] if name else base)
            found.append((node.lineno, name))
    return sorted(found)


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "amparo" else ""


def upward_imports(files: list[tuple[Path, str]]) -> list[str]:
    """Each import, in ``files`` (path, module name), of an app above the file's own."""
    problems = []
    for path, module in files:
        own = app_of(module)
        for line, name in imported(path, module) if own in LAYER else []:
            other = app_of(name)
            if other in LAYER and LAYER[other] > LAYER[own]:
                problems.append(f"{module}:{line} imports {name}")
    return problems


def amparo_modules() -> list[tuple[Path, str]]:
    """Every module of Amparo but tests and migrations."""
    return [
        (path, module_name(path))
        for path in sorted(AMPARO.rglob("*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(AMPARO).parts)
    ]


def test_every_app_is_in_a_layer() -> None:
    apps = {p.name for p in AMPARO.iterdir() if (p / "__init__.py").exists()}
    assert apps - {"tests"} == set(LAYER)  # amparo/tests: the shared test fixtures


def test_no_module_imports_an_app_above_its_own() -> None:
    modules = amparo_modules()
    assert len(modules) > 200
    assert upward_imports(modules) == []


def test_every_hook_names_a_function_of_an_app_above() -> None:
    """The hooks (settings ``*_HOOK`` / ``*_HOOKS``) are how an app below calls one above:
    functions, or (OUTBOX_HOOKS, by purpose) modules with the outbox's three functions."""
    hooks = {
        name: [value] if isinstance(value, str) else value
        for name, value in vars(settings).items()
        if name.endswith(("_HOOK", "_HOOKS"))
    }
    assert len(hooks) >= 7
    for name, paths in hooks.items():
        if isinstance(paths, dict):
            for path in paths.values():
                module = import_module(path)
                for function in ("stop_reason", "failover", "failover_pending"):
                    assert callable(getattr(module, function)), (name, path, function)
            continue
        for path in paths:
            assert callable(import_string(path)), name


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    source = tmp_path / "example.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from .common import twiml\n"
        "from .. import models\n"
        "if TYPE_CHECKING:\n    from amparo.people.models import Person\n"
        "def f():\n    import amparo.alerts.services\n    from amparo.hotline import callflow\n",
        encoding="utf-8",
    )
    module = "amparo.channels.twilio.example"
    assert imported(source, module) == [
        (1, "typing"),
        (2, "amparo.channels.twilio.common"),
        (3, "amparo.channels"),
        (5, "amparo.people.models"),
        (7, "amparo.alerts.services"),
        (8, "amparo.hotline"),
    ]
    assert upward_imports([(source, module)]) == [
        f"{module}:5 imports amparo.people.models",
        f"{module}:7 imports amparo.alerts.services",
        f"{module}:8 imports amparo.hotline",
    ]
    assert upward_imports([(source, "amparo.core.example")]) == []
