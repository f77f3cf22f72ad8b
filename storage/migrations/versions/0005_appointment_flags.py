"""appointment flags: HONGSHAN 留用察看 (probation dates and year) and the category-specific exit task

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("probation_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("probation_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("probation_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("exit_task", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_column("exit_task")
        batch_op.drop_column("probation_year")
        batch_op.drop_column("probation_end")
        batch_op.drop_column("probation_start")
