"""The ledger's tables. Migrations (`webapp/migrations`) bring a database to this shape.

Times written by the app are seconds since 1970 by the database's clock
(`webapp.database.db_now`), so that every server compares the same clock.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)

metadata = MetaData()

#: One row per rendering of a form that was sent: its answers, what was sent to
#: Bria, and what became of it. The id is the form's one-time submission id; `kind`
#: says what it does ("create" a project, "dataset.create", "model.start", …),
#: `label` names what it is about for people, `target_id` is the thing's id at Bria
#: (the project changed, or the one created), `answer` is Bria's answer.
submissions = Table(
    "submissions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(40), nullable=False, server_default="create"),
    Column("state", String(16), nullable=False),
    Column("label", String(200), nullable=False),
    Column("name_key", String(200), nullable=True),
    Column("target_id", Integer, nullable=True),
    Column("answer", Text, nullable=True),
    Column("payload", Text, nullable=True),
    Column("answers", Text, nullable=True),
    Column("problems", Text, nullable=True),
    Column("message", Text, nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("attempted_at", Float, nullable=True),
    Column("updated_at", Float, nullable=True),
)
#: A project is accounted for by one create at most, so that reconciling an unknown
#: outcome can never claim a project another submission made.
Index(
    "ix_submissions_one_create_per_project",
    submissions.c.target_id,
    unique=True,
    sqlite_where=submissions.c.kind == "create",
    postgresql_where=submissions.c.kind == "create",
)
Index("ix_submissions_state", submissions.c.state)
Index("ix_submissions_kind_target", submissions.c.kind, submissions.c.target_id)

#: Names being created, or created and not yet in the shared list: one row per
#: name, so that two people sending one new name at once create one project.
name_holds = Table(
    "name_holds",
    metadata,
    Column("name_key", String(200), primary_key=True),
    Column("submission_id", String(64), nullable=False),
    Column("held_at", Float, nullable=False),
)

#: The organisation's projects as last read from Bria, shared by every process.
snapshot_projects = Table(
    "snapshot_projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name_key", String(200), nullable=False, index=True),
    Column("name_words", Text, nullable=False),
    Column("ip_type", String(40), nullable=True),
    Column("ip_medium", String(40), nullable=True),
    Column("family", String(20), nullable=True),
    Column("created_at", Float, nullable=True, index=True),
    Column("body", Text, nullable=False),
    Column("read_at", Float, nullable=False),
)

#: One row per thing read from Bria on everyone's behalf ("projects", "project:7"):
#: who is reading it now (a lease), and how the last read ended, success or failure.
refreshes = Table(
    "refreshes",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("lease_until", Float, nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("as_of", Float, nullable=True),
    Column("failed_at", Float, nullable=True),
    Column("failure", Text, nullable=True),
)

#: The requests sent to Bria in the last minute, by every process and server.
budget_spent = Table(
    "budget_spent",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("spent_at", Float, nullable=False, index=True),
)

#: One row: taking a budget slot locks it first, so that counting and spending are
#: one step for every server; Bria's own "too many requests" pauses spending.
budget_gate = Table(
    "budget_gate",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("paused_until", Float, nullable=True),
)

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(100), nullable=False, index=True),
    Column("attempted_at", Float, nullable=False),
)

#: Signed-in sessions, so that signing out ends one on every server.
access_sessions = Table(
    "access_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
)

#: One row the readiness check writes: proof the database takes writes.
heartbeat = Table(
    "heartbeat",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("beat_at", Float, nullable=False),
)

#: Work that outlives a request, one row per thing to do, keyed by what it does
#: ("image:17", "status:model:4"): the job engine only wakes a row up; the row says
#: whether it is waiting (until `not_before`), running (leased until `lease_until`
#: by `lease_owner`), done or failed (with `last_error` in words).
work = Table(
    "work",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("kind", String(50), nullable=False),
    Column("state", String(16), nullable=False),
    Column("payload", Text, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("not_before", Float, nullable=False),
    Column("lease_until", Float, nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_work_state_not_before", work.c.state, work.c.not_before)
Index("ix_work_kind_state", work.c.kind, work.c.state)

#: Each job consumer's last sign of life: what `/healthz` reads.
job_consumers = Table(
    "job_consumers",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("started_at", Float, nullable=False),
    Column("beat_at", Float, nullable=False),
)

#: Datasets and their images as last read from Bria (the truth), for every process.
snapshot_datasets = Table(
    "snapshot_datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("project_id", Integer, nullable=False, index=True),
    Column("created_at", Float, nullable=True),
    Column("body", Text, nullable=False),
    Column("read_at", Float, nullable=False),
)
snapshot_images = Table(
    "snapshot_images",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("dataset_id", Integer, nullable=False, index=True),
    Column("image_name", String(200), nullable=True),
    Column("body", Text, nullable=False),
    Column("read_at", Float, nullable=False),
)

#: Each file a person added to a dataset, from the moment the app accepted it: what the
#: checks found, and where it is on its way to Bria (the work row `upload:<id>` sends
#: it). `image_name` is unique, so that after a lost answer the dataset's images say
#: whether Bria has it.
uploads = Table(
    "uploads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset_id", Integer, nullable=False),
    Column("project_id", Integer, nullable=False),
    Column("original_name", String(300), nullable=False),
    Column("image_name", String(200), nullable=False, unique=True),
    Column("state", String(16), nullable=False),
    Column("batch", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("dhash", String(16), nullable=True),
    Column("format", String(10), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("orientation", Integer, nullable=False, server_default="1"),
    Column("notes", Text, nullable=True),
    Column("increase_resolution", Boolean, nullable=False),
    Column("attempted", Boolean, nullable=False, server_default=false()),
    Column("bria_image_id", Integer, nullable=True),
    Column("reason", Text, nullable=True),
    Column("who", String(200), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_uploads_dataset_state", uploads.c.dataset_id, uploads.c.state)
#: One live copy of a file per dataset: an exact duplicate is refused, even when two
#: servers receive it at once.
Index(
    "ix_uploads_one_live_copy",
    uploads.c.dataset_id,
    uploads.c.sha256,
    unique=True,
    sqlite_where=text("state IN ('waiting', 'sending', 'at_bria')"),
    postgresql_where=text("state IN ('waiting', 'sending', 'at_bria')"),
)

#: Files every server must read (originals until Bria has them, thumbnails) when
#: the database holds them rather than the instance folder.
blobs = Table(
    "blobs",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
)

#: Caption changes made together (a find and replace), with each caption before and
#: after, so that the last batch can be undone.
caption_batches = Table(
    "caption_batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset_id", Integer, nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("changes", Text, nullable=False),
    Column("undoes", Integer, nullable=True),
    Column("who", String(200), nullable=True),
    Column("created_at", Float, nullable=False),
)

#: A visual schema being made from the images a person picked, until it is saved.
schema_drafts = Table(
    "schema_drafts",
    metadata,
    Column("dataset_id", Integer, primary_key=True, autoincrement=False),
    Column("state", String(16), nullable=False),
    Column("picked", Text, nullable=False),
    Column("visual_schema", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
)

#: Models as last read from Bria, shared by every process.
snapshot_models = Table(
    "snapshot_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("project_id", Integer, nullable=False, index=True),
    Column("dataset_id", Integer, nullable=True, index=True),
    Column("body", Text, nullable=False),
    Column("read_at", Float, nullable=False),
)

#: A model's timeline: each status the app saw it in, once, when it first saw it (who
#: asked for it, when a person did; who started the training, for the notices).
model_events = Table(
    "model_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, nullable=False, index=True),
    Column("project_id", Integer, nullable=False),
    Column("status", String(40), nullable=False),
    Column("at", Float, nullable=False),
    Column("who", String(200), nullable=True),
    Column("started_by", String(200), nullable=True),
)
Index("ix_model_events_one_per_status", model_events.c.model_id, model_events.c.status, unique=True)

#: Images asked of a trained model: the prompt, where Bria is with it, and (once it is
#: done) the image, kept by the app since Bria's addresses expire.
generations = Table(
    "generations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("model_id", Integer, nullable=False, index=True),
    Column("prompt", Text, nullable=False),
    Column("aspect_ratio", String(10), nullable=False),
    Column("state", String(16), nullable=False),
    Column("request_id", String(100), nullable=True),
    Column("status_url", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("who", String(200), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

#: Who did what, for a project's activity page: everything that changed something at
#: Bria, with when and who (as the organisation's sign-in said, or "someone on the team").
activity = Table(
    "activity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=True, index=True),
    Column("at", Float, nullable=False, index=True),
    Column("who", String(200), nullable=True),
    Column("action", String(40), nullable=False),
    Column("subject", Text, nullable=False),
    Column("key", String(120), nullable=True, unique=True),
)
