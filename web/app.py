"""The application factory: settings in, extensions bound, blueprints registered."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from services.backend import Backend

BACKEND = "reentry.backend"


def create_app(config: Mapping[str, Any] | None = None, backend: Backend | None = None) -> Flask:
    """A configured Flask app; tests pass a ``config`` mapping and may pass their own ``backend``."""
    app = Flask(__name__, instance_path=os.path.abspath(os.environ.get("REENTRY_INSTANCE_DIR", "instance")))
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("REENTRY_SECRET_KEY", "dev-only-secret-change-me"),
        DATABASE_URL=os.environ.get("REENTRY_DATABASE_URL"),
    )
    app.config.from_mapping(config or {})
    app.extensions[BACKEND] = backend or Backend.connect(app.config["DATABASE_URL"])

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
