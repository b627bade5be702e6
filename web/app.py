"""The application factory: settings in, extensions bound, blueprints registered. Nothing binds at import."""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask import Response

from services.backend import Backend
from web import admin
from web import api
from web import api_attachments  # noqa: F401 - adds the upload route to the API blueprint
from web import audit_views
from web import auth
from web import cases_views
from web import errors
from web import formatting
from web import history_views
from web import inbox
from web import tasks_views
from web.db import close_db
from web.extensions import BACKEND
from web.extensions import babel
from web.extensions import csrf
from web.extensions import login_manager
from web.i18n import current_locale

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "font-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
}


def default_config() -> dict[str, Any]:
    """Settings read from the environment (DESIGN §6)."""
    return {
        "SECRET_KEY": os.environ.get("REENTRY_SECRET_KEY", "dev-only-secret-change-me"),
        "DATABASE_URL": os.environ.get("REENTRY_DATABASE_URL"),
        "DEFAULT_LOCALE": os.environ.get("REENTRY_LOCALE", "vi"),
        "BABEL_DEFAULT_LOCALE": os.environ.get("REENTRY_LOCALE", "vi"),
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("REENTRY_SECURE_COOKIES", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=8),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "PAGE_SIZE": 20,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "WTF_CSRF_TIME_LIMIT": None,
        "ATTACHMENTS_DIR": os.environ.get("REENTRY_ATTACHMENTS_DIR"),
        "ATTACHMENT_MAX_BYTES": int(os.environ.get("REENTRY_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
    }


def create_app(config: Mapping[str, Any] | None = None, backend: Backend | None = None) -> Flask:
    """A configured Flask app; tests pass a ``config`` mapping and may pass their own ``backend``."""
    app = Flask(__name__, instance_path=os.path.abspath(os.environ.get("REENTRY_INSTANCE_DIR", "instance")))
    app.config.from_mapping(default_config())
    app.config.from_mapping(config or {})
    app.extensions[BACKEND] = backend or Backend.connect(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_db)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=current_locale, timezone_selector=lambda: "Asia/Ho_Chi_Minh")
    _register_blueprints(app)
    formatting.register(app)
    app.after_request(_secure_headers)
    return app


def _register_blueprints(app: Flask) -> None:
    for module in (auth, inbox, tasks_views, cases_views, history_views, audit_views, admin, api, errors):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)


def _secure_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
