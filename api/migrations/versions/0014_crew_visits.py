"""a crew job has one visit, and one published stop, per member: visits unique per (order, date,
technician), published stops keyed by (date, order, technician); both mark the lead (whose van gives the
parts and whose visit speaks for the order)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.drop_constraint('uq_visits_order_date', type_='unique')
        batch_op.create_unique_constraint('uq_visits_order_date_technician', ['order_id', 'date', 'technician_id'])
    with op.batch_alter_table('published_stops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.drop_constraint(op.f('pk_published_stops'), type_='primary')
        batch_op.create_primary_key(op.f('pk_published_stops'), ['date', 'order_id', 'technician_id'])


def downgrade() -> None:
    # one technician per order and date again: the crew members' rows go, the leads' stay
    op.execute(sa.text("DELETE FROM visits WHERE NOT lead"))
    op.execute(sa.text("DELETE FROM published_stops WHERE NOT lead"))
    with op.batch_alter_table('published_stops', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('pk_published_stops'), type_='primary')
        batch_op.create_primary_key(op.f('pk_published_stops'), ['date', 'order_id'])
        batch_op.drop_column('lead')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_constraint('uq_visits_order_date_technician', type_='unique')
        batch_op.create_unique_constraint('uq_visits_order_date', ['order_id', 'date'])
        batch_op.drop_column('lead')
