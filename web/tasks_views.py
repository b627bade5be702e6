"""Blueprint tasks_views (filled in by the inbox issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tasks_views", __name__)
