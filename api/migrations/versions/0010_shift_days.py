"""a technician's shift on one date where it differs from the weekly pattern (overtime for that day); the
outbox's window proposals

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "kind IN ('visit_confirmed', 'visit_delayed', 'visit_done', 'part_missing', 'window_proposed')"
OLD_KINDS = "kind IN ('visit_confirmed', 'visit_delayed', 'visit_done', 'part_missing')"


def upgrade() -> None:
    op.create_table('shift_days',
    sa.Column('technician_id', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('shift_start', sa.Time(), nullable=True),
    sa.Column('shift_end', sa.Time(), nullable=True),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('shift_start IS NOT NULL OR shift_end IS NOT NULL', name=op.f('ck_shift_days_something')),
    sa.CheckConstraint('shift_start IS NULL OR shift_end IS NULL OR shift_end >= shift_start', name=op.f('ck_shift_days_shift')),
    sa.ForeignKeyConstraint(['set_by'], ['users.id'], name=op.f('fk_shift_days_set_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_shift_days_technician_id_technicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('technician_id', 'date', name=op.f('pk_shift_days'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), sa.text(KINDS))


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE kind = 'window_proposed'")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), sa.text(OLD_KINDS))

    op.drop_table('shift_days')
