"""The floor under a create: a bare Flask app that forwards the form to the API with `requests`
and redirects to a page naming the new project. No checks, no ledger, no session, no template
file: what it adds to the API's time is what gunicorn, Flask and `requests` cost on the machine
before the real app does any work of its own."""

import os

import requests
from flask import Flask, redirect, request
from markupsafe import escape

app = Flask(__name__)
api = requests.Session()
api.headers["api_token"] = os.environ.get("BRIA_API_TOKEN", "")
PROJECTS = os.environ.get("BRIA_API_BASE_URL", "") + "/tailored-gen/projects"


@app.get("/")
def form() -> str:
    return "<form method='post'></form>"


@app.post("/")
def create():
    project = api.post(PROJECTS, json=request.form.to_dict(), timeout=30).json()
    return redirect(f"/projects/{int(project['id'])}", 303)


@app.get("/projects/<int:project_id>")
def show(project_id: int) -> str:
    return f"<h1>Project created</h1><p>Project ID {escape(project_id)}</p>"


@app.get("/healthz")
def healthz() -> str:
    return "ok"
