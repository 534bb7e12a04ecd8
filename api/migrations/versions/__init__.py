"""Alembic revision scripts (this file only makes the folder installable)."""
