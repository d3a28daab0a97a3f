"""spare-part ledger: movements, balances, idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_idempotency_keys_user_id'))
    )
    op.create_table('stock_balances',
    sa.Column('part_id', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.String(length=80), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('low_stock_threshold', sa.Integer(), nullable=True),
    sa.CheckConstraint('low_stock_threshold IS NULL OR low_stock_threshold >= 0', name=op.f('ck_stock_balances_low_stock_threshold')),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_stock_balances_quantity')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_stock_balances_location_id_stock_locations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_stock_balances_part_id_parts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('part_id', 'location_id', name=op.f('pk_stock_balances'))
    )
    with op.batch_alter_table('stock_balances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_balances_location_id'), ['location_id'], unique=False)

    op.create_table('stock_movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('part_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('from_location_id', sa.String(length=80), nullable=True),
    sa.Column('to_location_id', sa.String(length=80), nullable=True),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('technician_id', sa.String(length=64), nullable=True),
    sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
    sa.CheckConstraint("(kind = 'receive' AND from_location_id IS NULL AND to_location_id IS NOT NULL) OR (kind IN ('transfer', 'return') AND from_location_id IS NOT NULL AND to_location_id IS NOT NULL AND from_location_id <> to_location_id) OR (kind = 'consume' AND from_location_id IS NOT NULL AND to_location_id IS NULL AND order_id IS NOT NULL AND technician_id IS NOT NULL) OR (kind = 'adjust' AND reason IS NOT NULL AND (from_location_id IS NULL) <> (to_location_id IS NULL))", name=op.f('ck_stock_movements_shape')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_stock_movements_quantity')),
    sa.ForeignKeyConstraint(['from_location_id'], ['stock_locations.id'], name=op.f('fk_stock_movements_from_location_id_stock_locations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_stock_movements_order_id_orders'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_stock_movements_part_id_parts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_stock_movements_recorded_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_stock_movements_technician_id_technicians'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['to_location_id'], ['stock_locations.id'], name=op.f('fk_stock_movements_to_location_id_stock_locations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movements_from_location_id'), ['from_location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_stock_movements_part_id_at', ['part_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_technician_id'), ['technician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_to_location_id'), ['to_location_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movements_to_location_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_technician_id'))
        batch_op.drop_index('ix_stock_movements_part_id_at')
        batch_op.drop_index(batch_op.f('ix_stock_movements_order_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_from_location_id'))

    op.drop_table('stock_movements')
    with op.batch_alter_table('stock_balances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_balances_location_id'))

    op.drop_table('stock_balances')
    op.drop_table('idempotency_keys')
