"""Liveness and readiness for load balancers and orchestrators: `/healthz`, `/readyz`."""

from __future__ import annotations

from flask import Flask

from webapp.health import views


def register(app: Flask) -> None:
    app.register_blueprint(views.bp)
