"""day events: what the phones report (phone time and receipt time); an unresolved visit's reason

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('day_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('time', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('technician_id', sa.String(length=64), nullable=True),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("event IN ('departed', 'arrived', 'started', 'done', 'unresolved', 'break', 'absent', 'cancelled')", name=op.f('ck_day_events_event')),
    sa.CheckConstraint("reason IS NULL OR reason IN ('part_missing', 'second_technician', 'customer_absent', 'other')", name=op.f('ck_day_events_reason')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_day_events_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_day_events_recorded_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_day_events_technician_id_technicians'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_day_events'))
    )
    with op.batch_alter_table('day_events', schema=None) as batch_op:
        batch_op.create_index('ix_day_events_date_time', ['date', 'time'], unique=False)
        batch_op.create_index(batch_op.f('ix_day_events_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_day_events_technician_id'), ['technician_id'], unique=False)

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_column('reason')

    with op.batch_alter_table('day_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_day_events_technician_id'))
        batch_op.drop_index(batch_op.f('ix_day_events_order_id'))
        batch_op.drop_index('ix_day_events_date_time')

    op.drop_table('day_events')
