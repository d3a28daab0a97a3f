"""the CSV contract's newer fields: skill levels of technicians and orders, the technician a customer asks
for and those it refuses, the day of an appointment window, how many technicians a job needs

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREW = 'technicians_needed BETWEEN 1 AND 4'


def upgrade() -> None:
    # NULL in the JSON columns reads as "none": rows from before this revision need no rewrite
    with op.batch_alter_table('technicians', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skill_levels', sa.JSON(), nullable=True))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_skill_levels', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('preferred_technician_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('forbidden_technician_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('window_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('technicians_needed', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint(op.f('ck_orders_technicians_needed'), sa.text(CREW))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_technicians_needed'), type_='check')
        batch_op.drop_column('technicians_needed')
        batch_op.drop_column('window_date')
        batch_op.drop_column('forbidden_technician_ids')
        batch_op.drop_column('preferred_technician_id')
        batch_op.drop_column('required_skill_levels')

    with op.batch_alter_table('technicians', schema=None) as batch_op:
        batch_op.drop_column('skill_levels')
