"""calendar data and deadline provenance (issue 3)

Imported State Council arrangements (calendar_imports, calendar_days) and, on each deadline, how its due
instant was derived: start date, period code and the calendar version used.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import storage.types


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=True),
    sa.Column('file_name', sa.String(length=300), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('years', sa.JSON(), nullable=False),
    sa.Column('imported_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['calendar_imports.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.create_index('uq_calendar_days_import_day', ['import_id', 'day'], unique=True)

    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('period', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('calendar_version', sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_column('calendar_version')
        batch_op.drop_column('period')
        batch_op.drop_column('start_date')

    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.drop_index('uq_calendar_days_import_day')

    op.drop_table('calendar_days')
    op.drop_table('calendar_imports')
