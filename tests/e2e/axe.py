"""axe-core on every page a browser test visits (issue 14).

:func:`tests.e2e.conftest.chromium` hands out a browser whose pages are watched: before
each action that may replace a page's document (a click, a key pressed, a field filled,
``goto``, ``reload``: :data:`ACTIONS`), and when a context closes or the browser block
ends, the document on screen is checked with axe-core, once per document. axe is injected
through ``page.evaluate`` (the Chrome DevTools protocol), so the page's
Content-Security-Policy stays on: a context with ``bypass_csp`` would hide CSP
regressions. Tests reach pages only by such actions, so every page they see is checked.

A serious or critical violation fails the test when its browser closes, naming the page,
the rule and the elements. The same page seen again unchanged (a reload while waiting for
a text to arrive) is checked once. Known exceptions, each with its reason, are
:data:`KNOWN`; add one only with a reason and a plan to remove it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Error, Keyboard, Locator, Page

AXE_VERSION = "4.14.1"
AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")

# (rule id, CSS target the exception is limited to): why it is accepted for now.
KNOWN: dict[tuple[str, str], str] = {}

# Read the page without touching it: where it is, whether it is HTML, whether axe has
# already looked at this very document, and a fingerprint of its content (digits left
# out, so a clock or a count that moved does not make a page "new").
_LOOK = """() => {
  if (window.__amparoAxeDone === true) return {done: true, html: true, url: location.href};
  const html = document.documentElement ? document.documentElement.outerHTML : "";
  return {
    url: location.href,
    html: document.contentType === "text/html",
    done: window.__amparoAxeDone === true,
    loaded: typeof window.axe === "object",
    shape: html.replace(/[0-9]+/g, ""),
  };
}"""

_RUN = """async (impacts) => {
  window.__amparoAxeDone = true;
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
}"""


# What a test does to a page that may replace its document: before each of these, the
# document on screen is checked (once). Tests reach every page by such an action.
ACTIONS: dict[type, tuple[str, ...]] = {
    Page: (
        "goto",
        "reload",
        "go_back",
        "go_forward",
        "click",
        "fill",
        "press",
        "check",
        "select_option",
        "set_viewport_size",
    ),
    Locator: (
        "click",
        "dblclick",
        "fill",
        "check",
        "uncheck",
        "set_checked",
        "select_option",
        "press",
        "press_sequentially",
        "tap",
        "set_input_files",
        "focus",
    ),
    Keyboard: ("press", "type", "insert_text"),
}


class AxeWatch:
    """Checks the pages of the contexts it watches; :meth:`failures` lists what it found.

    Used as a ``with`` block: inside it, the actions in :data:`ACTIONS` first check the
    page they act on. (Checks run in the test's own flow, never in a Playwright event
    handler: a handler that calls back into the page can deadlock the sync API.)"""

    def __init__(self) -> None:
        self._source = AXE_JS.read_text(encoding="utf-8") + "\n;true"
        self._seen: set[str] = set()
        self._keyboards: dict[int, Page] = {}
        self._blind: set[int] = set()  # pages without JavaScript: axe cannot run there
        self._saved: list[tuple[type, str, Any]] = []
        self.found: list[str] = []
        self.pages_checked = 0

    def __enter__(self) -> AxeWatch:
        for cls, names in ACTIONS.items():
            for name in names:
                original = getattr(cls, name)
                self._saved.append((cls, name, original))
                setattr(cls, name, self._checked(original))
        return self

    def __exit__(self, *exc: object) -> None:
        for cls, name, original in reversed(self._saved):
            setattr(cls, name, original)
        self._saved.clear()

    def _checked(self, original: Any) -> Any:
        watch = self

        @functools.wraps(original)
        def action(target: Any, *args: Any, **kwargs: Any) -> Any:
            page = watch._page_of(target)
            if page is not None:
                watch.check(page)
            return original(target, *args, **kwargs)

        return action

    def _page_of(self, target: Any) -> Page | None:
        if isinstance(target, Page):
            return target
        if isinstance(target, Locator):
            return target.page
        return self._keyboards.get(id(target))

    def watch(self, context: BrowserContext, *, scripts: bool = True) -> BrowserContext:
        """Watch ``context``'s pages. With ``scripts=False`` (a context without
        JavaScript) nothing is checked: CDP's evaluate waits forever where scripts are
        off. The same pages are checked in the tests that visit them with JavaScript."""
        if not scripts:
            context.on("page", lambda page: self._blind.add(id(page)))
        context.on("page", lambda page: self._keyboards.__setitem__(id(page.keyboard), page))
        close = context.close

        def checked_close(**kwargs: Any) -> None:
            for page in context.pages:
                self.check(page)
            close(**kwargs)

        context.close = checked_close  # type: ignore[method-assign]
        return context

    def check(self, page: Page) -> None:
        if id(page) in self._blind or page.is_closed() or not page.url.startswith("http"):
            return
        try:
            look = page.evaluate(_LOOK)
            if not look["html"] or look["done"] or not look["url"].startswith("http"):
                return
            key = look["url"] + hashlib.sha256(look["shape"].encode()).hexdigest()
            if key in self._seen:
                return
            self._seen.add(key)
            if not look["loaded"]:
                page.evaluate(self._source)
            violations = page.evaluate(_RUN, list(FAILING_IMPACTS))
        except Error as exc:  # the page went away under the check: nothing left to check
            if re.search(r"context was destroyed|Target .*closed|navigat", str(exc)):
                return
            raise
        self.pages_checked += 1
        path = re.sub(r"^https?://[^/]+", "", look["url"])
        for v in violations:
            targets = [t for t in v["targets"] if (v["id"], t) not in KNOWN]
            if targets:
                self.found.append(
                    f"{path}: {v['impact']} {v['id']} ({v['help']}) at {', '.join(targets[:5])}"
                )

    def failures(self) -> str:
        if not self.found:
            return ""
        lines = "\n  ".join(dict.fromkeys(self.found))
        return f"axe-core {AXE_VERSION} found serious or critical violations:\n  {lines}"
