"""HTTP: the app factory, blueprints, templates and the reentry CLI."""
from __future__ import annotations
