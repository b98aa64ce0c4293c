"""The Flask app: `create_app()` wires configuration, services, pages and headers."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from webapp import assets, errors, formatting, security, views
from webapp.bria import BriaClient
from webapp.catalog import ProjectCatalog
from webapp.config import FIXED_SETTINGS, SANDBOX_BASE_URL, settings_from_environment
from webapp.ledger import Ledger, make_engine
from webapp.sandbox import SANDBOX_TOKEN, SandboxAdapter, SandboxStore
from webapp.services import Services

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Build the app. Settings come from the environment unless `test_config` gives them."""
    if test_config is None:
        from dotenv import load_dotenv

        load_dotenv(ROOT / ".env")
    app = Flask(
        __name__,
        instance_path=instance_path
        or os.environ.get("WEBAPP_INSTANCE_PATH")
        or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.config.update(FIXED_SETTINGS)
    environ = {
        k: str(v) for k, v in (test_config or {}).items() if isinstance(v, (str, int, float))
    }
    app.config.update(settings_from_environment(instance, None if test_config is None else environ))
    app.config.update(test_config or {})
    app.logger.setLevel(logging.INFO)  # "webapp": Flask gives it a stderr handler

    app.extensions["webapp"] = _services(app.config, instance)
    csrf.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    formatting.init_app(app)
    errors.init_app(app)
    app.register_blueprint(views.bp)
    return app


def _services(config: dict[str, Any], instance: Path) -> Services:
    token = config["BRIA_API_TOKEN"]
    if token:
        client = BriaClient(
            config["BRIA_API_BASE_URL"],
            token,
            config["BRIA_API_TIMEOUT"],
            connect_timeout=config["BRIA_CONNECT_TIMEOUT"],
        )
    else:
        store = SandboxStore(instance / "sandbox.sqlite3")
        client = BriaClient(
            SANDBOX_BASE_URL,
            SANDBOX_TOKEN,
            config["BRIA_API_TIMEOUT"],
            mount=lambda: SandboxAdapter(store),
        )
    return Services(
        client=client,
        ledger=Ledger(make_engine(config["DATABASE_URL"])),
        catalog=ProjectCatalog(config["PROJECT_LIST_TTL"]),
        sandbox=not token,
    )
