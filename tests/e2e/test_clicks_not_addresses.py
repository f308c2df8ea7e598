"""Browser tests reach pages as a person does (issues 12 and 14): the only addresses
they type are the login page, the public pages a person opens from a shared link (the
report form, the sign-up form) and the links a text message carries; everything after
is reached by clicking. A test
that types another address into the address bar proves nothing about whether a first-time
user can get there, so this reads every browser test's source and refuses one."""

from __future__ import annotations

import ast
from pathlib import Path

# The login page; public pages a person opens from a shared link (report form, sign-up);
# the link pages a text message carries (a responder's answer page, a verifier's page);
# the axe self-test's own fake site.
OPENED_BY_ADDRESS = (
    "/accounts/login/",
    "/report/",
    "/join/",
    "/a/",
    "/incidents/verify/v/",
    "http://axe.test/",
)


def _goto_targets(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "goto"
        ):
            arg = node.args[0] if node.args else None
            text = ast.unparse(arg) if arg is not None else ""
            if isinstance(arg, ast.JoinedStr):  # f"/report/{SLUG}/": its literal start
                first = arg.values[0]
                text = str(first.value) if isinstance(first, ast.Constant) else text
            elif isinstance(arg, ast.Constant):
                text = str(arg.value)
            found.append((node.lineno, text))
    return found


def test_browser_tests_type_no_address_but_the_login_and_public_pages() -> None:
    here = Path(__file__).parent
    typed = [
        f"{path.name}:{line}: goto({target})"
        for path in sorted([*here.glob("test_*.py"), here / "conftest.py"])
        for line, target in _goto_targets(path)
        if not target.startswith(OPENED_BY_ADDRESS)
    ]
    assert typed == []
