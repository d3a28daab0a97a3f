"""the supervisor's view: the supervisor role, complaints and their alerts, a technician's hourly cost, the
figures of each day kept once it is over

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = "role IN ('dispatcher', 'technician', 'storekeeper', 'planner', 'supervisor')"
OLD_ROLES = "role IN ('dispatcher', 'technician', 'storekeeper', 'planner')"
KINDS = ("kind IN ('low customer score', 'deadline at risk', 'deadline missed', "
         "'complaint response overdue', 'complaint resolution overdue')")
OLD_KINDS = "kind IN ('low customer score', 'deadline at risk', 'deadline missed')"
ORDER_ALERT = 'visit_id IS NULL AND complaint_id IS NULL'
OLD_ORDER_ALERT = 'visit_id IS NULL'


def upgrade() -> None:
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('technician_id', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=4000), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('assigned_to', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=True),
    sa.Column('response_due', sa.DateTime(), nullable=False),
    sa.Column('resolution_due', sa.DateTime(), nullable=False),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.Column('response', sa.String(length=4000), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('resolution', sa.String(length=4000), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
    sa.CheckConstraint("channel IN ('phone', 'email', 'web', 'letter', 'in_person')",
                       name=op.f('ck_complaints_channel')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('upheld', 'partly_upheld', 'not_upheld', 'withdrawn')",
                       name=op.f('ck_complaints_outcome')),
    sa.CheckConstraint('(outcome IS NULL) = (resolved_at IS NULL)', name=op.f('ck_complaints_resolved')),
    sa.ForeignKeyConstraint(['assigned_to'], ['users.id'], name=op.f('fk_complaints_assigned_to_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_complaints_customer_id_customers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_complaints_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_complaints_recorded_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_complaints_technician_id_technicians'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_assigned_to'), ['assigned_to'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_complaints_received_at', ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_technician_id'), ['technician_id'], unique=False)

    op.create_table('kpi_days',
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('date', name=op.f('pk_kpi_days'))
    )

    with op.batch_alter_table('service_alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complaint_id', sa.Integer(), nullable=True))
        batch_op.alter_column('order_id', existing_type=sa.VARCHAR(length=64), nullable=True)
        batch_op.drop_index('uq_service_alerts_order_kind', sqlite_where=sa.text(OLD_ORDER_ALERT),
                            postgresql_where=sa.text(OLD_ORDER_ALERT))
        batch_op.create_index('uq_service_alerts_order_kind', ['order_id', 'kind'], unique=True,
                              sqlite_where=sa.text(ORDER_ALERT), postgresql_where=sa.text(ORDER_ALERT))
        batch_op.create_index(batch_op.f('ix_service_alerts_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_unique_constraint('uq_service_alerts_complaint_kind', ['complaint_id', 'kind'])
        batch_op.create_foreign_key(batch_op.f('fk_service_alerts_complaint_id_complaints'), 'complaints',
                                    ['complaint_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(op.f('ck_service_alerts_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_service_alerts_kind'), sa.text(KINDS))
        batch_op.create_check_constraint(op.f('ck_service_alerts_subject'),
                                         sa.text('order_id IS NOT NULL OR complaint_id IS NOT NULL'))

    with op.batch_alter_table('technicians', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hourly_cost', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.create_check_constraint(op.f('ck_technicians_hourly_cost'),
                                         sa.text('hourly_cost IS NULL OR hourly_cost >= 0'))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), sa.text(ROLES))


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE role = 'supervisor'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), sa.text(OLD_ROLES))

    with op.batch_alter_table('technicians', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_technicians_hourly_cost'), type_='check')
        batch_op.drop_column('hourly_cost')

    op.execute("DELETE FROM service_alerts WHERE complaint_id IS NOT NULL")
    with op.batch_alter_table('service_alerts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_service_alerts_subject'), type_='check')
        batch_op.drop_constraint(op.f('ck_service_alerts_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_service_alerts_kind'), sa.text(OLD_KINDS))
        batch_op.drop_constraint(batch_op.f('fk_service_alerts_complaint_id_complaints'), type_='foreignkey')
        batch_op.drop_constraint('uq_service_alerts_complaint_kind', type_='unique')
        batch_op.drop_index(batch_op.f('ix_service_alerts_complaint_id'))
        batch_op.drop_index('uq_service_alerts_order_kind', sqlite_where=sa.text(ORDER_ALERT),
                            postgresql_where=sa.text(ORDER_ALERT))
        batch_op.create_index('uq_service_alerts_order_kind', ['order_id', 'kind'], unique=True,
                              sqlite_where=sa.text(OLD_ORDER_ALERT), postgresql_where=sa.text(OLD_ORDER_ALERT))
        batch_op.alter_column('order_id', existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_column('complaint_id')

    op.drop_table('kpi_days')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_technician_id'))
        batch_op.drop_index('ix_complaints_received_at')
        batch_op.drop_index(batch_op.f('ix_complaints_order_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_customer_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_assigned_to'))

    op.drop_table('complaints')
