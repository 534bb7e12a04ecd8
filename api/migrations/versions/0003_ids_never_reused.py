"""Ids never reused: SQLite tables rebuilt with AUTOINCREMENT, so a deleted dataset's, plan's or
job's id never names another one in the audit trail (PostgreSQL's sequences never reuse one).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("users", "datasets", "dataset_files", "jobs", "plans", "audit", "web_sessions")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # api.migrations.upgrade turns SQLite's foreign keys off around migrations, so rebuilding a
    # table (copy, drop, rename) cascades nothing.
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass


def downgrade() -> None:
    pass
