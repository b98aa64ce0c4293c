"""The schema as the releases before migrations created it at start-up.

A database those releases made already has these tables: they are adopted as
they are, and the migrations that follow change them.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "submissions" not in existing:
        op.create_table(
            "submissions",
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("project_name", sa.String(200), nullable=False),
            sa.Column("project_id", sa.Integer, nullable=True),
            sa.Column("project", sa.Text, nullable=True),
            sa.Column("message", sa.Text, nullable=True),
            sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        )
    if "sign_in_failures" not in existing:
        op.create_table(
            "sign_in_failures",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("client", sa.String(100), nullable=False),
            sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index("ix_sign_in_failures_client", "sign_in_failures", ["client"])


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_table("submissions")
