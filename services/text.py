"""Text helpers for search: Vietnamese folded to plain ASCII lower case ("Nguyễn" → "nguyen")."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def fold(text: str) -> str:
    """``text`` without diacritics, lower case, spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def search_text(parts: Iterable[object]) -> str:
    """One folded string to search in, made of the non-empty ``parts``."""
    return fold(" ".join(str(p) for p in parts if p not in (None, "")))[:600]
