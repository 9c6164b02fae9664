"""Notifications on top of the appeals fixtures: committed actions, a local webhook receiver, emails."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from appeals.conftest import act, submit  # noqa: F401  (the appeals fixtures, reused)


@pytest.fixture(autouse=True)
def _webhooks_to_loopback(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.SITE_URL = "https://gongzhi.example.cn"


@pytest.fixture
def flow(grid, submit, act, django_capture_on_commit_callbacks):
    """submit / act as a request would: the change commits, then its on-commit callbacks run
    (with the immediate task backend, the whole fan-out happens right there)."""

    class Flow:
        def submit(self, **kw):
            with django_capture_on_commit_callbacks(execute=True):
                return submit(**kw)

        def act(self, user, appeal, action, **kw):
            with django_capture_on_commit_callbacks(execute=True):
                return act(user, appeal, action, **kw)

        def dispatched(self, handler=None):
            a = self.submit()
            return self.act(grid.community_worker, a, "dispatch", handler=(handler or grid.property_co).pk)

        def resolved(self):
            a = self.dispatched()
            a = self.act(grid.property1, a, "take")
            return self.act(grid.property1, a, "resolve", note="已联系维保单位修复电梯")

    return Flow()


@pytest.fixture
def emails(grid):
    for u, addr in ((grid.community_worker, "cw@example.cn"), (grid.resident1, "r1@example.cn"),
                    (grid.property1, "p1@example.cn")):
        u.email = addr
        u.save(update_fields=["email"])
    return grid


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records each POST and answers with the next queued status."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        self.default = 200
        self.url = ""


@pytest.fixture
def receiver():
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec.requests.append({"path": self.path, "body": body,
                                 "headers": {k.lower(): v for k, v in self.headers.items()}})
            status = rec.statuses.pop(0) if rec.statuses else rec.default
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_port}/hooks/gongzhi"
    yield rec
    server.shutdown()
    server.server_close()
    thread.join(5)
