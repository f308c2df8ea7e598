"""On the sandbox phone, Amparo's own links in its texts can be tapped (they open on
this server, as they would on the person's phone); any other address stays plain text
and nothing in a text can inject markup (issue 12: responders reach their link page
by clicks in the demo)."""

from __future__ import annotations

from amparo.channels.sandbox.views import own_links


def test_amparo_links_open_on_this_server_and_nothing_else_is_a_link(settings) -> None:
    settings.BASE_URL = "https://amparo.example"
    body = (
        "Squad: Empacadora, Holyoke. https://amparo.example/a/Tok3n_x/.\n"
        'Not ours: http://evil.example/a/ <script>alert(1)</script> "q"'
    )
    html = str(own_links(body))
    assert '<a href="/a/Tok3n_x/" rel="noreferrer">https://amparo.example/a/Tok3n_x/</a>.' in html
    assert html.count("<a ") == 1  # the other address is text, not a link
    assert "http://evil.example/a/" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<br>" in html  # the text's line breaks kept


def test_a_look_alike_host_is_not_ours(settings) -> None:
    settings.BASE_URL = "https://amparo.example"
    assert "<a " not in str(own_links("https://amparo.example.evil.net/a/x/"))
