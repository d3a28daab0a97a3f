"""a plan job records the moment of a live re-plan; a published plan carries its version number of the date and what it changed

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('plan_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('published_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('published_plans', schema=None) as batch_op:
        batch_op.drop_column('changes')
        batch_op.drop_column('version')
    with op.batch_alter_table('plan_jobs', schema=None) as batch_op:
        batch_op.drop_column('at')
