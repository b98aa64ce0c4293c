"""Models, their training's timeline, images generated with them, and a record of who did
what.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "snapshot_models",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("project_id", sa.Integer, nullable=False, index=True),
        sa.Column("dataset_id", sa.Integer, nullable=True, index=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("read_at", sa.Float, nullable=False),
    )
    op.create_table(
        "model_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, nullable=False, index=True),
        sa.Column("project_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("who", sa.String(200), nullable=True),
        sa.Column("started_by", sa.String(200), nullable=True),
    )
    op.create_index(
        "ix_model_events_one_per_status", "model_events", ["model_id", "status"], unique=True
    )
    op.create_table(
        "generations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.Integer, nullable=False),
        sa.Column("model_id", sa.Integer, nullable=False, index=True),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("aspect_ratio", sa.String(10), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("status_url", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("who", sa.String(200), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.Integer, nullable=True, index=True),
        sa.Column("at", sa.Float, nullable=False, index=True),
        sa.Column("who", sa.String(200), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("key", sa.String(120), nullable=True, unique=True),
    )


def downgrade() -> None:
    for table in ("activity", "generations"):
        op.drop_table(table)
    op.drop_index("ix_model_events_one_per_status", "model_events")
    op.drop_table("model_events")
    op.drop_table("snapshot_models")
