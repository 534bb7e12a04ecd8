"""Publishing plans: a plan is a draft until an officer publishes it with the date it takes
effect; publishing a later plan of the same dataset supersedes the one published before.

Plans stored before this migration become drafts: operators see none of them until an officer
publishes one (``docs/api.md``). At most one plan of a dataset is published at a time (a partial
unique index, on SQLite and PostgreSQL alike).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ONE_PUBLISHED = "ix_plans_one_published_per_dataset"


def upgrade() -> None:
    op.add_column(
        "plans",
        sa.Column("status", sa.String(length=20), nullable=False, server_default="draft"),
    )
    op.add_column("plans", sa.Column("effective_from", sa.Date(), nullable=True))
    op.add_column("plans", sa.Column("published_by", sa.Integer(), nullable=True))
    op.add_column("plans", sa.Column("published_by_name", sa.String(length=200), nullable=True))
    op.add_column("plans", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("plans", sa.Column("superseded_by", sa.Integer(), nullable=True))
    op.add_column("plans", sa.Column("superseded_on", sa.Date(), nullable=True))
    where = sa.text("status = 'published'")
    op.create_index(
        ONE_PUBLISHED,
        "plans",
        ["dataset_id"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index(ONE_PUBLISHED, table_name="plans")
    for column in (
        "superseded_on",
        "superseded_by",
        "published_at",
        "published_by_name",
        "published_by",
        "effective_from",
        "status",
    ):
        op.drop_column("plans", column)
