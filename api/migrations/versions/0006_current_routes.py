"""Current routes and re-plans: a plan's kind (``plan`` or ``current``), the current plan a plan
is set against, a re-plan's per-pupil changes; a job's current plan, locks and price per change.

No foreign keys are added (``jobs.plan_id`` has none either): SQLite cannot add one to an
existing table without rebuilding it, and plans are only ever deleted with their dataset.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "plans", sa.Column("kind", sa.String(length=20), nullable=False, server_default="plan")
    )
    op.add_column("plans", sa.Column("current_plan_id", sa.Integer(), nullable=True))
    op.add_column("plans", sa.Column("changes_csv", sa.Text(), nullable=True))
    op.create_index(op.f("ix_plans_kind"), "plans", ["kind"])
    op.add_column("jobs", sa.Column("current_plan_id", sa.Integer(), nullable=True))
    op.add_column("jobs", sa.Column("locks", sa.JSON(), nullable=True))
    op.add_column("jobs", sa.Column("price_per_change_pence", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "price_per_change_pence")
    op.drop_column("jobs", "locks")
    op.drop_column("jobs", "current_plan_id")
    op.drop_index(op.f("ix_plans_kind"), table_name="plans")
    op.drop_column("plans", "changes_csv")
    op.drop_column("plans", "current_plan_id")
    op.drop_column("plans", "kind")
