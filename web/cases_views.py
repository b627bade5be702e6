"""Blueprint cases_views (filled in by the inbox issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cases_views", __name__)
