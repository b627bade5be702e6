"""Blueprint admin (filled in by the inbox issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__)
