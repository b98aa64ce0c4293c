"""The app on a real threaded HTTP server in a background thread, for browser and load tests."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from werkzeug.serving import make_server


class LiveServer:
    """Serve `app` with Werkzeug, one thread per request, on a free local port."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def projects(self) -> list[dict[str, Any]]:
        """What the app's API (sandbox or fake) holds now, read through the app's own client."""
        return self.app.extensions["webapp"].bria.projects.list()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
