"""HTTP: the app factory, blueprints, templates and the reentry CLI."""
from __future__ import annotations

from web.app import create_app

__all__ = ["create_app"]
