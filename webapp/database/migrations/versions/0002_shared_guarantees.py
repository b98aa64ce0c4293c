"""Guarantees shared by every worker and server: names being created, the projects
list, the Bria request budget, sign-in attempts and sessions, each in the database.

Submissions keep what was sent and typed, so that a reply is shown by a GET and an
unknown outcome can be reconciled field by field.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="create"))
        batch.add_column(sa.Column("name_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("payload", sa.Text, nullable=True))
        batch.add_column(sa.Column("answers", sa.Text, nullable=True))
        batch.add_column(sa.Column("problems", sa.Text, nullable=True))
        batch.add_column(sa.Column("attempted_at", sa.Float, nullable=True))
        batch.add_column(sa.Column("updated_at", sa.Float, nullable=True))
        batch.drop_column("settled_at")
    op.create_index("ix_submissions_state", "submissions", ["state"])
    op.create_index(
        "ix_submissions_one_create_per_project",
        "submissions",
        ["project_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'create'"),
        postgresql_where=sa.text("kind = 'create'"),
    )

    op.create_table(
        "name_holds",
        sa.Column("name_key", sa.String(200), primary_key=True),
        sa.Column("submission_id", sa.String(64), nullable=False),
        sa.Column("held_at", sa.Float, nullable=False),
    )
    op.create_table(
        "snapshot_projects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("name_words", sa.Text, nullable=False),
        sa.Column("ip_type", sa.String(40), nullable=True),
        sa.Column("ip_medium", sa.String(40), nullable=True),
        sa.Column("family", sa.String(20), nullable=True),
        sa.Column("created_at", sa.Float, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("read_at", sa.Float, nullable=False),
    )
    op.create_index("ix_snapshot_projects_name_key", "snapshot_projects", ["name_key"])
    op.create_index("ix_snapshot_projects_created_at", "snapshot_projects", ["created_at"])
    op.create_table(
        "refreshes",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("as_of", sa.Float, nullable=True),
        sa.Column("failed_at", sa.Float, nullable=True),
        sa.Column("failure", sa.Text, nullable=True),
    )
    op.create_table(
        "budget_spent",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("spent_at", sa.Float, nullable=False),
    )
    op.create_index("ix_budget_spent_spent_at", "budget_spent", ["spent_at"])
    gate = op.create_table(
        "budget_gate",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("paused_until", sa.Float, nullable=True),
    )
    op.bulk_insert(gate, [{"id": 1, "paused_until": None}])

    op.drop_table("sign_in_failures")
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("attempted_at", sa.Float, nullable=False),
    )
    op.create_index("ix_sign_in_attempts_client", "sign_in_attempts", ["client"])
    op.create_table(
        "access_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float, nullable=True),
    )
    beat = op.create_table(
        "heartbeat",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("beat_at", sa.Float, nullable=False),
    )
    op.bulk_insert(beat, [{"id": 1, "beat_at": 0.0}])


def downgrade() -> None:
    for table in (
        "heartbeat",
        "access_sessions",
        "sign_in_attempts",
        "budget_gate",
        "budget_spent",
        "refreshes",
        "snapshot_projects",
        "name_holds",
    ):
        op.drop_table(table)
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sign_in_failures_client", "sign_in_failures", ["client"])
    op.drop_index("ix_submissions_one_create_per_project", "submissions")
    op.drop_index("ix_submissions_state", "submissions")
    with op.batch_alter_table("submissions") as batch:
        for column in ("updated_at", "attempted_at", "problems", "answers", "payload"):
            batch.drop_column(column)
        batch.drop_column("name_key")
        batch.drop_column("kind")
        batch.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
