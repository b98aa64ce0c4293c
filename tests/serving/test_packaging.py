"""The app installed as a package, away from the checkout, serves every page with its assets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.pages import VALID, hidden_inputs, main_text
from tests.support.processes import ROOT, environment, free_port, running

#: Servers and processes of their own.
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv outside the checkout with `pip install .` (not editable)."""
    folder = tmp_path_factory.mktemp("installed")
    subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
    subprocess.run(
        [str(folder / "venv" / "bin" / "pip"), "install", "--quiet", str(ROOT)],
        check=True,
        capture_output=True,
        env=environment({"PIP_DISABLE_PIP_VERSION_CHECK": "1"}),
    )
    return folder / "venv"


def test_the_installed_package_serves_pages_assets_and_creates_from_any_folder(installed, tmp_path):
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    env = environment({})
    upgraded = subprocess.run(
        [str(installed / "bin" / "flask"), "--app", "webapp", "db", "upgrade"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    # The instance folder of an installed package is inside its environment, not here.
    assert (installed / "var" / "webapp-instance" / "webapp.sqlite3").is_file()
    assert list(elsewhere.iterdir()) == []

    port = free_port()
    command = [
        str(installed / "bin" / "gunicorn"),
        "-b",
        f"127.0.0.1:{port}",
        "webapp:create_app()",
    ]
    url = f"http://127.0.0.1:{port}"
    with running(command, {}, url + "/healthz", tmp_path / "gunicorn.log", cwd=elsewhere):
        browser = requests.Session()
        form = browser.get(url + "/", timeout=5)
        assert form.status_code == 200
        page = form.text
        for asset in ("app.css", "app.js", "favicon.svg"):
            [path] = [part for part in page.split('"') if part.startswith(f"/static/{asset}?v=")]
            loaded = browser.get(url + path, timeout=5)
            assert loaded.status_code == 200 and loaded.content, asset
        sent = browser.post(
            url + "/",
            data={**hidden_inputs(page), **VALID, "project_name": "Installed"},
            allow_redirects=True,
            timeout=10,
        )
        assert "Project created" in main_text(sent.text)
        assert "Sandbox" in sent.text
