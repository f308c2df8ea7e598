"""A form renderer for the public forms (sign-up, report): the plain widget templates
(inputs, textarea, select) written out in Python, the same markup, so their pages, asked
for under load, render without a template per field. Anything else: Django's templates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html, format_html_join

W = "django/forms/widgets/"


def attrs_html(attrs: dict[str, Any]) -> str:
    """widgets/attrs.html: `` name="value"``, bare when True, left out when False."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", n) if v is True else format_html(' {}="{}"', n, str(v)),)
            for n, v in attrs.items()
            if v is not False
        ),
    )


def _input(w: dict[str, Any]) -> str:
    value = "" if w["value"] is None else format_html(' value="{}"', str(w["value"]))
    return format_html(
        '<input type="{}" name="{}"{}{}>', w["type"], w["name"], value, attrs_html(w["attrs"])
    )


def _textarea(w: dict[str, Any]) -> str:
    return format_html(
        '<textarea name="{}"{}>\n{}</textarea>',
        w["name"],
        attrs_html(w["attrs"]),
        w["value"] or "",
    )


def _select(w: dict[str, Any]) -> str | None:
    options = []
    for group_name, group_choices, _index in w["optgroups"]:
        if group_name:
            return None  # optgroups: the template
        for o in group_choices:
            if o["template_name"] != W + "select_option.html":
                return None
            options.append(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',  # the include's own newline
                    str(o["value"]),
                    attrs_html(o["attrs"]),
                    o["label"],
                )
            )
    return format_html(
        '<select name="{}"{}>{}\n</select>',
        w["name"],
        attrs_html(w["attrs"]),
        format_html_join("", "{}", ((o,) for o in options)),
    )


QUICK: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **{W + f"{kind}.html": _input for kind in ("input", "text", "email", "number", "file")},
    W + "textarea.html": _textarea,
    W + "select.html": _select,
}


class QuickRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        quick = QUICK.get(template_name)
        html = quick(context["widget"]) if quick is not None and request is None else None
        return super().render(template_name, context, request) if html is None else html


quick_renderer = QuickRenderer()
