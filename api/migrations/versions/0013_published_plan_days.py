"""a plan of several days is published for each of its dates: one plan may be the published plan of
several dates

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('published_plans', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_published_plans_plan_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_published_plans_plan_id'), ['plan_id'], unique=False)


def downgrade() -> None:
    # one date per plan again: the later dates of a multi-day plan lose their publication (and its routes)
    op.execute(sa.text("DELETE FROM published_plans WHERE date <> "
                       "(SELECT plan_jobs.date FROM plan_jobs WHERE plan_jobs.id = published_plans.plan_id)"))
    with op.batch_alter_table('published_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_published_plans_plan_id'))
        batch_op.create_unique_constraint(op.f('uq_published_plans_plan_id'), ['plan_id'])
