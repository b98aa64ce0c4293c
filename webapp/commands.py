"""The app's own commands, `flask --app webapp jobs …`: run a job consumer, and see what
the job runner is doing."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import with_appcontext

from webapp.services import services

#: The work `jobs check` asks for: it does nothing but prove a consumer runs work.
CHECK = "jobs.check"


def _check(svc: object, work: object) -> None:
    return None


@click.group("jobs")
def jobs_group() -> None:
    """The job runner (uploads, status followers, reconciling)."""


@jobs_group.command("run")
@click.option("--workers", type=int, default=None, help="Threads (JOB_WORKERS by default).")
@with_appcontext
def run_command(workers: int | None) -> None:
    """Run a consumer until stopped (make run and make serve start one)."""
    svc = services()
    click.echo(f"Job consumer {svc.jobs.name} starting.", err=True)
    svc.jobs.consumer(workers or svc.settings.job_workers).run()


@jobs_group.command("check")
@click.option("--wait", type=float, default=30.0, help="Seconds to wait for a consumer.")
@with_appcontext
def check_command(wait: float) -> None:
    """Ask for one piece of work that does nothing, and wait until a consumer has done it."""
    svc = services()
    key = f"{CHECK}:{time.time_ns()}"
    svc.jobs.submit(key, CHECK)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        work = svc.jobs.queue.get(key)
        if work is not None and work.state == "done":
            click.echo(f"A consumer ran {key}.")
            return
        time.sleep(0.2)
    raise click.ClickException(f"no consumer ran {key} within {wait:g} seconds")


@jobs_group.command("status")
@with_appcontext
def status_command() -> None:
    """How many consumers are alive, how much work waits, and what failed."""
    jobs = services().jobs
    click.echo(f"consumers alive: {jobs.consumers_alive()}")
    click.echo(f"work waiting or running: {jobs.queue.waiting_count()}")
    for work in jobs.queue.failed(limit=20):
        click.echo(f"failed: {work.key}: {work.last_error}")


def init_app(app: Flask) -> None:
    app.cli.add_command(jobs_group)
    app.extensions["webapp"].jobs.register(CHECK, _check)
