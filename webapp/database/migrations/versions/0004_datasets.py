"""Datasets and images: what the app knows of them at Bria, the upload queue, the files
waiting to be sent, caption changes made in batches, and visual schemas being made.

Submissions now serve every kind of thing sent once (a dataset created, a dataset
completed), so their project-named columns say what they hold for any kind.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_submissions_one_create_per_project", "submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("project_name", new_column_name="label")
        batch.alter_column("project_id", new_column_name="target_id")
        batch.alter_column("project", new_column_name="answer")
        batch.alter_column("kind", type_=sa.String(40), existing_nullable=False)
    op.create_index(
        "ix_submissions_one_create_per_project",
        "submissions",
        ["target_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'create'"),
        postgresql_where=sa.text("kind = 'create'"),
    )
    op.create_index("ix_submissions_kind_target", "submissions", ["kind", "target_id"])

    op.create_table(
        "snapshot_datasets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("project_id", sa.Integer, nullable=False, index=True),
        sa.Column("created_at", sa.Float, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("read_at", sa.Float, nullable=False),
    )
    op.create_table(
        "snapshot_images",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("dataset_id", sa.Integer, nullable=False, index=True),
        sa.Column("image_name", sa.String(200), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("read_at", sa.Float, nullable=False),
    )
    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("project_id", sa.Integer, nullable=False),
        sa.Column("original_name", sa.String(300), nullable=False),
        sa.Column("image_name", sa.String(200), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("batch", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("dhash", sa.String(16), nullable=True),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("orientation", sa.Integer, nullable=False, server_default="1"),
        sa.Column("notes", sa.Text, nullable=True),
        sa.Column("increase_resolution", sa.Boolean, nullable=False),
        sa.Column("attempted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("bria_image_id", sa.Integer, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("who", sa.String(200), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_uploads_dataset_state", "uploads", ["dataset_id", "state"])
    op.create_index(
        "ix_uploads_one_live_copy",
        "uploads",
        ["dataset_id", "sha256"],
        unique=True,
        sqlite_where=sa.text("state IN ('waiting', 'sending', 'at_bria')"),
        postgresql_where=sa.text("state IN ('waiting', 'sending', 'at_bria')"),
    )
    op.create_table(
        "blobs",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "caption_batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dataset_id", sa.Integer, nullable=False, index=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("undoes", sa.Integer, nullable=True),
        sa.Column("who", sa.String(200), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "schema_drafts",
        sa.Column("dataset_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("picked", sa.Text, nullable=False),
        sa.Column("visual_schema", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("schema_drafts", "caption_batches", "blobs"):
        op.drop_table(table)
    op.drop_index("ix_uploads_one_live_copy", "uploads")
    op.drop_index("ix_uploads_dataset_state", "uploads")
    op.drop_table("uploads")
    op.drop_table("snapshot_images")
    op.drop_table("snapshot_datasets")
    op.drop_index("ix_submissions_kind_target", "submissions")
    op.drop_index("ix_submissions_one_create_per_project", "submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("kind", type_=sa.String(16), existing_nullable=False)
        batch.alter_column("answer", new_column_name="project")
        batch.alter_column("target_id", new_column_name="project_id")
        batch.alter_column("label", new_column_name="project_name")
    op.create_index(
        "ix_submissions_one_create_per_project",
        "submissions",
        ["project_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'create'"),
        postgresql_where=sa.text("kind = 'create'"),
    )
