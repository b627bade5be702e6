"""Alembic migrations of the reentry schema."""
