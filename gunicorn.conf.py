"""gunicorn settings for `make serve`: the app in production, behind nginx (deploy/serve).

Requests spend most of their time waiting on Bria's API, so each worker runs
threads (`gthread`): a worker per core, and 64 threads each. The app lets at most
48 requests of a worker wait on Bria at once, so that the pages that need no Bria
always find a thread (the benchmark measured 16 threads leaving /healthz waiting for
seconds while people created against a slow Bria). nginx in front reads requests
whole, so a slow client never holds a thread. Everything here can be overridden
from the environment without editing the file.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("WEB_THREADS", "64"))
# A create waits for the API (BRIA_API_TIMEOUT, 30 s by default) and may then
# list projects to resolve an unknown outcome: allow both before a worker is killed.
timeout = int(os.environ.get("WEB_TIMEOUT", "75"))
graceful_timeout = 30
keepalive = 5
# Workers touch a heartbeat file on every loop: keep it in memory, not on a disk
# that may stall (gunicorn's own advice for containers and VMs).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Each worker builds its app once at start (templates compiled on first use and
# kept): no database connection or HTTP session is shared across a fork.
preload_app = False
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# Never log query strings or headers that might carry secrets: method, path, status, time.
# The path is logged as it arrived, escaped, so that a request cannot forge a line.
logger_class = "webapp.web.access_log.AccessLogger"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
control_socket_disable = True  # no gunicornc here; two servers would clash on its socket


def on_starting(server: object) -> None:
    """Build the app once in the master before any worker starts: a setting or a
    database that cannot be used stops gunicorn with the app's own one line (and
    status 3), instead of every worker failing in turn. Workers forked from it know the
    database was usable, so one started later during an outage does not stop the server."""
    from webapp import create_app

    create_app().extensions["webapp"].engine.dispose()  # workers open their own
