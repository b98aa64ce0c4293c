"""The app with one more kind of work, for tests of the job runner itself.

`flask --app tests.support.job_app jobs run` is a consumer that knows `test.step`: each
run writes a line to `runs` in the folder its payload names, waits while a `hold`
file is there (a test kills the consumer meanwhile), then writes its end.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from flask import Flask

import webapp

STEP = "test.step"


def _step(svc: Any, work: Any) -> None:
    folder = Path(work.payload["folder"])
    with (folder / "runs").open("a") as runs:
        runs.write(f"{work.key} {os.getpid()} start\n")
    while (folder / "hold").exists():
        time.sleep(0.02)
    with (folder / "runs").open("a") as runs:
        runs.write(f"{work.key} {os.getpid()} end\n")


def create_app(**kwargs: Any) -> Flask:
    app = webapp.create_app(**kwargs)
    lease = float(os.environ.get("TEST_STEP_LEASE_SECONDS", "2"))
    app.extensions["webapp"].jobs.register(STEP, _step, lease_seconds=lease)
    return app


def runs(folder: Path) -> list[str]:
    """Each run's lines, as written."""
    path = folder / "runs"
    return path.read_text().splitlines() if path.exists() else []
