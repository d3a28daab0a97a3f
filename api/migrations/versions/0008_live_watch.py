"""the escalation watch: its lease, deadline alerts (no visit, one per order and kind, closable), follow-up
call outcomes

Revision ID: 0008
Revises: 0007 (re-chained after live-replan's 0007 where both branches are merged)
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "kind IN ('low customer score', 'deadline at risk', 'deadline missed')"
OLD_KINDS = "kind IN ('low customer score')"
OUTCOMES = "outcome IS NULL OR outcome IN ('satisfied', 'not_satisfied', 'no_answer')"


def upgrade() -> None:
    op.create_table('leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=2000), nullable=True))
        batch_op.create_check_constraint(op.f('ck_follow_ups_outcome'), sa.text(OUTCOMES))

    with op.batch_alter_table('service_alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('visit_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('technician_id',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)
        batch_op.drop_constraint(op.f('ck_service_alerts_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_service_alerts_kind'), sa.text(KINDS))
        batch_op.create_index('uq_service_alerts_order_kind', ['order_id', 'kind'], unique=True, sqlite_where=sa.text('visit_id IS NULL'), postgresql_where=sa.text('visit_id IS NULL'))


def downgrade() -> None:
    op.execute("DELETE FROM service_alerts WHERE visit_id IS NULL")  # deadline alerts have no place there
    with op.batch_alter_table('service_alerts', schema=None) as batch_op:
        batch_op.drop_index('uq_service_alerts_order_kind', sqlite_where=sa.text('visit_id IS NULL'), postgresql_where=sa.text('visit_id IS NULL'))
        batch_op.drop_constraint(op.f('ck_service_alerts_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_service_alerts_kind'), sa.text(OLD_KINDS))
        batch_op.alter_column('technician_id',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.alter_column('visit_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_follow_ups_outcome'), type_='check')
        batch_op.drop_column('note')
        batch_op.drop_column('outcome')

    op.drop_table('leases')
