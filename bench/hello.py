"""A bare Flask "hello": the yardstick for the form page's throughput under the same server."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
