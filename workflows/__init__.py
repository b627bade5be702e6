"""How a diagram executes: the only package that imports SpiffWorkflow."""
from __future__ import annotations
