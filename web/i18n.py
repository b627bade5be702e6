"""Which language a request is served in: the user's choice, else the configured default (Vietnamese)."""
from __future__ import annotations

from flask import current_app
from flask import request
from flask import session

LOCALES = ("vi", "en")


def current_locale() -> str:
    """``vi`` or ``en`` for this request; API calls follow ``Accept-Language``."""
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(LOCALES)
        return best or "vi"
    chosen = session.get("lang")
    if chosen in LOCALES:
        return str(chosen)
    default: str = current_app.config["DEFAULT_LOCALE"]
    return default if default in LOCALES else "vi"
