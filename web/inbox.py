"""Blueprint inbox (filled in by the inbox issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("inbox", __name__)
