"""How project names are compared: the duplicate check, searches and reconciliation agree.

Two names are the same project name when a person would read them as the same:
Unicode NFKC normalisation (full-width letters, ligatures), case folding, runs of
white space collapsed, and invisible format characters (zero-width spaces and
joiners, direction marks) removed. Bria compares nothing for us, so this is the
app's own rule, used everywhere a name is matched.
"""

from __future__ import annotations

import unicodedata

#: The longest key kept: names that agree this far are taken as the same (the ledger's
#: columns hold this much, whatever NFKC makes of a name: "ﬃ" becomes three letters).
KEY_LENGTH = 200


def name_key(name: object) -> str:
    """The form of a name that equal names share; "" for anything that is not text."""
    if not isinstance(name, str):
        return ""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.casefold().split())[:KEY_LENGTH]


def search_words(text: object) -> list[str]:
    """The whole words of a name or a query, compared as `name_key` compares names."""
    return name_key(text).split()


def word_index(name: object) -> str:
    """Words between single spaces, padded: ' lora summer ' lets a database find words
    that start with what was searched (LIKE '% summ%'), never '0' inside '30'."""
    words = search_words(name)
    return f" {' '.join(words)} " if words else ""
