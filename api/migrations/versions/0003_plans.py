"""plan jobs, published routes, visits, alerts, follow-ups

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('plan_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('phase', sa.String(length=40), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('pins', sa.JSON(), nullable=False),
    sa.Column('input', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('plan', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('deadline_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(status = 'done') = (plan IS NOT NULL)", name=op.f('ck_plan_jobs_plan_when_done')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'cancelled')", name=op.f('ck_plan_jobs_status')),
    sa.ForeignKeyConstraint(['parent_id'], ['plan_jobs.id'], name=op.f('fk_plan_jobs_parent_id_plan_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_plan_jobs_requested_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_jobs'))
    )
    with op.batch_alter_table('plan_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_plan_jobs_date_status', ['date', 'status'], unique=False)

    op.create_table('published_plans',
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('plan_id', sa.String(length=36), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['plan_jobs.id'], name=op.f('fk_published_plans_plan_id_plan_jobs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['published_by'], ['users.id'], name=op.f('fk_published_plans_published_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('date', name=op.f('pk_published_plans')),
    sa.UniqueConstraint('plan_id', name=op.f('uq_published_plans_plan_id'))
    )
    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('technician_id', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('plan_id', sa.String(length=36), nullable=True),
    sa.Column('arrived_at', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('fixed_first_time', sa.Boolean(), nullable=True),
    sa.Column('resolved', sa.Boolean(), nullable=True),
    sa.Column('major_repair', sa.Boolean(), nullable=False),
    sa.Column('customer_score', sa.Integer(), nullable=True),
    sa.Column('notes', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
    sa.CheckConstraint('customer_score IS NULL OR customer_score BETWEEN 1 AND 5', name=op.f('ck_visits_customer_score')),
    sa.CheckConstraint('done_at IS NULL OR arrived_at IS NULL OR done_at >= arrived_at', name=op.f('ck_visits_done_after_arrival')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_visits_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan_jobs.id'], name=op.f('fk_visits_plan_id_plan_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_visits_technician_id_technicians'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('order_id', 'date', name='uq_visits_order_date')
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_date'), ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_technician_id'), ['technician_id'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('days_after', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
    sa.CheckConstraint('days_after > 0', name=op.f('ck_follow_ups_days_after')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_follow_ups_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_follow_ups_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_follow_ups_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('visit_id', 'days_after', name='uq_follow_ups_visit_days')
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_visit_id'), ['visit_id'], unique=False)

    op.create_table('published_routes',
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('technician_id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=36), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('route', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['date'], ['published_plans.date'], name=op.f('fk_published_routes_date_published_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan_jobs.id'], name=op.f('fk_published_routes_plan_id_plan_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_published_routes_technician_id_technicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('date', 'technician_id', name=op.f('pk_published_routes'))
    )
    with op.batch_alter_table('published_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_published_routes_plan_id'), ['plan_id'], unique=False)

    op.create_table('published_stops',
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('technician_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['date'], ['published_plans.date'], name=op.f('fk_published_stops_date_published_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_published_stops_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_published_stops_technician_id_technicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('date', 'order_id', name=op.f('pk_published_stops'))
    )
    with op.batch_alter_table('published_stops', schema=None) as batch_op:
        batch_op.create_index('ix_published_stops_technician_order', ['technician_id', 'order_id'], unique=False)

    op.create_table('service_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('technician_id', sa.String(length=64), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('low customer score')", name=op.f('ck_service_alerts_kind')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_service_alerts_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_service_alerts_technician_id_technicians'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_service_alerts_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_alerts')),
    sa.UniqueConstraint('visit_id', 'kind', name='uq_service_alerts_visit_kind')
    )
    with op.batch_alter_table('service_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_alerts_visit_id'), ['visit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('service_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_alerts_visit_id'))

    op.drop_table('service_alerts')
    with op.batch_alter_table('published_stops', schema=None) as batch_op:
        batch_op.drop_index('ix_published_stops_technician_order')

    op.drop_table('published_stops')
    with op.batch_alter_table('published_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_published_routes_plan_id'))

    op.drop_table('published_routes')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_visit_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_due_date'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_technician_id'))
        batch_op.drop_index(batch_op.f('ix_visits_order_id'))
        batch_op.drop_index(batch_op.f('ix_visits_date'))

    op.drop_table('visits')
    op.drop_table('published_plans')
    with op.batch_alter_table('plan_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_jobs_date_status')

    op.drop_table('plan_jobs')
