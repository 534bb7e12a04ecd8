"""Hardening: the audit's source address, server-side sign-in sessions, job leases, plan costs
in 64 bits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "audit", sa.Column("source", sa.String(length=64), nullable=False, server_default="")
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_web_sessions_secret_sha256"), "web_sessions", ["secret_sha256"], unique=True
    )
    op.add_column("jobs", sa.Column("owner", sa.String(length=100), nullable=True))
    op.add_column("jobs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name != "sqlite":  # SQLite's integers are 64-bit already
        op.alter_column(
            "plans", "cost_per_day_pence", type_=sa.BigInteger(), existing_type=sa.Integer()
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "plans", "cost_per_day_pence", type_=sa.Integer(), existing_type=sa.BigInteger()
        )
    op.drop_column("jobs", "heartbeat_at")
    op.drop_column("jobs", "owner")
    op.drop_index(op.f("ix_web_sessions_secret_sha256"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_column("audit", "source")
