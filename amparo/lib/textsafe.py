"""What a text message (SMS, voice, Telegram …) may say about *where*: the one home.

Texts are read on lock screens and kept by carriers: a text says where in a few safe
words (a workplace name, the town) plus Amparo's link; the rest is behind the link
(docs/threat-model.md, "What a text may carry"). What a stranger typed never goes out
as it came: ``workplace_label`` keeps a short name of words only — no link, address,
e-mail, number (anything with a digit) or reply keyword ("YES", "CONFIRMADO" …) — so a
public report cannot use Amparo's messages to send its readers elsewhere."""

from __future__ import annotations

import re
import unicodedata

#: a workplace name in a text: at most this many characters and words
LABEL_MAX_CHARS = 40
LABEL_MAX_WORDS = 5

#: words a recipient answers with (verification and call-outs, both languages), folded
REPLY_WORDS = frozenset({
    "yes", "si", "no", "ok", "voy", "going", "confirm", "confirmed", "confirmado", "confirmada",
    "confirmo", "unsure", "nose", "stop", "alto", "baja", "start", "arrived", "llegue", "aqui",
    "here", "help", "ayuda",
})  # fmt: skip
#: a segment of the typed place ends at any of these (the name comes first)
_SEGMENT_END = re.compile(r"[,;:\n\r|()\[\]{}<>\"“”«»]|\s[-–—]\s")
#: a token that is a link, a domain, an e-mail address or a handle
_LINK_LIKE = re.compile(
    r"(://|^www\.|@|/|\\|\.(com|org|net|io|co|me|info|ly|gl|us|mx|app|link|xyz|site|ru|cn)\b"
    r"|^[\w-]+\.[a-z]{2,}\b)",
    re.IGNORECASE,
)
#: characters a name may keep inside a word
_WORD = re.compile(r"[^\w'&.-]", re.UNICODE)


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _safe_word(token: str) -> str:
    if _LINK_LIKE.search(token):
        return ""
    word = _WORD.sub("", token).strip(".-'")
    if not word or any(c.isdigit() for c in word) or "_" in word:
        return ""  # numbers of any kind: street numbers, phones, A-numbers, codes
    if _fold(word) in REPLY_WORDS:
        return ""
    return word


def workplace_label(text: str, *, max_chars: int = LABEL_MAX_CHARS) -> str:
    """A short, text-safe name from what someone typed as the place ("Acme Packing,
    1200 Industrial Rd" → "Acme Packing"); "" when nothing safe is left."""
    if not text:
        return ""
    normalized = unicodedata.normalize("NFKC", str(text))
    normalized = "".join(c if c.isprintable() else " " for c in normalized)
    # links go first, whole (their ":" and "/" must not cut a segment), then the name
    # is the first segment
    normalized = re.sub(
        r"\S+", lambda m: "" if _LINK_LIKE.search(m.group()) else m.group(), normalized
    )
    first = _SEGMENT_END.split(normalized, maxsplit=1)[0]
    words = [w for w in (_safe_word(t) for t in first.split()) if w][:LABEL_MAX_WORDS]
    label = ""
    for word in words:
        longer = f"{label} {word}".strip()
        if len(longer) > max_chars:
            break
        label = longer
    return label


def town_label(text: str) -> str:
    """A town's name as a text shows it (a place name kept by the network, capped)."""
    return workplace_label(text, max_chars=LABEL_MAX_CHARS)


def text_where(*, workplace: str = "", town: str = "") -> str:
    """The one "where" line of every text Amparo sends: "<workplace name>, <town>",
    either part left out when nothing safe is left of it; "" when neither is."""
    parts = [workplace_label(workplace), town_label(town)]
    seen: list[str] = []
    for part in parts:
        if part and _fold(part) not in {_fold(s) for s in seen}:
            seen.append(part)
    return ", ".join(seen)
