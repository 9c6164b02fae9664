"""No personal identifier reaches a log: Django's request and error logs, runserver's log and gunicorn's access
and error logs, each captured from the handlers the product configures (gongzhi/core/logs.py), for requests
carrying an ID number and mobile numbers in their path, query string, host and error text."""
import io
import logging
import os
import re
import subprocess
import sys
import threading
import types
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from gongzhi.core.logs import RedactIdentifiers, redact_log_text

ID = "440102199001011237"
MOBILE = "13912345678"
CLEAR = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")
FULL_WIDTH = "".join(chr(ord(d) + 0xFEE0) for d in MOBILE)
# The same numbers as clients send them in a URL: plain, percent-encoded full-width digits, "+" for spaces.
QUERY = f"q={MOBILE}&id={ID}&fw={urllib.parse.quote(FULL_WIDTH)}&spaced=139+1234+5678&zw=139%E2%80%8B12345678"


def clear_numbers(text):
    """Every mobile or ID number in the text, read as a person would (full width, escaped, separators, invisible)."""
    text = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), text)
    plain = re.sub(r"[\s+\-.\u200b]", "", urllib.parse.unquote_plus(text))
    plain = plain.translate({0xFF10 + i: str(i) for i in range(10)})
    return CLEAR.findall(plain)


def boom(request):
    raise ValueError(f"cannot handle {request.GET.get('q')} for {request.GET.get('id')}")


def fine(request):
    return HttpResponse("ok")


urlconf = types.ModuleType("boom_urls")
urlconf.urlpatterns = [path("boom/", boom), path("fine/", fine), path("", include("gongzhi.urls"))]


def configured(logger_name):
    """The handlers settings.LOGGING put on this logger (not those the test runner adds)."""
    return [h for h in logging.getLogger(logger_name).handlers if h.get_name() in django_settings.LOGGING["handlers"]]


@contextmanager
def captured(*logger_names):
    """What the handlers configured on these loggers write, while the block runs."""
    handlers = {h for name in logger_names for h in configured(name)}
    assert handlers, logger_names
    buffer = io.StringIO()
    before = {h: h.setStream(buffer) for h in handlers}
    try:
        yield buffer
    finally:
        for h, stream in before.items():
            h.setStream(stream)


def test_every_configured_handler_masks():
    assert [h.get_name() for h in configured("")] == ["console"]
    assert [h.get_name() for h in configured("django.server")] == ["server"]
    assert logging.getLogger("django").handlers == []  # Django's own (unfiltered) handlers are gone
    for handler in configured("") + configured("django.server"):
        assert [type(f) for f in handler.filters] == [RedactIdentifiers]


def test_django_request_and_error_logs(settings):
    settings.ROOT_URLCONF = urlconf
    client = Client(raise_request_exception=False)
    with captured("") as log:
        assert client.get(f"/nothing/{MOBILE}/{ID}/", {"q": MOBILE}).status_code == 404
        assert client.get(f"/boom/?{QUERY}").status_code == 500
        assert client.get("/fine/", HTTP_HOST=MOBILE).status_code == 400
    text = log.getvalue()
    assert "Not Found: /nothing/139****5678/440102********1237/" in text
    assert "ValueError: cannot handle 139****5678 for 440102********1237" in text  # the traceback's last line
    assert "Invalid HTTP_HOST header: '139****5678'" in text
    assert clear_numbers(text) == []


@contextmanager
def runserver():
    """Django's development server (runserver's own request handler and log), serving in a thread; on leaving,
    it has finished (and logged) every request."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler, ipv6=False)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def get(url):
    """The status of one GET, redirects not followed."""
    try:
        with _opener.open(url) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_runserver_log(settings):
    settings.ROOT_URLCONF = urlconf
    with captured("", "django.server") as log, runserver() as url:
        assert get(f"{url}/fine/?{QUERY}") == 200
        assert get(f"{url}/nothing/{urllib.parse.quote(FULL_WIDTH)}/?{QUERY}") == 404
    text = log.getvalue()
    assert text.count('"GET /') == 2 and "q=139****5678&id=440102********1237" in text
    assert "Not Found: /nothing/139****5678/" in text  # Django writes the full-width digits as \uff11…
    assert clear_numbers(text) == []


def test_gunicorn_access_and_error_log(tmp_path):
    """gunicorn as bin/serve runs it (gunicorn.conf.py), one worker on a free port."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # no query is made: SQLite, in tmp
    env.update(PORT="0", WEB_CONCURRENCY="1", GONGZHI_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=django_settings.BASE_DIR,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        errors = []
        for line in server.stderr:  # until the worker is up
            errors.append(line)
            if "Booting worker" in line:
                break
        port = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", "".join(errors)).group(1)
        base = f"http://127.0.0.1:{port}"
        assert get(f"{base}/people/search/?{QUERY}") == 302  # not logged in: to the login page
        assert get(f"{base}/nothing/{ID}/?{QUERY}") == 404
        request = urllib.request.Request(f"{base}/?{QUERY}", headers={"Host": MOBILE, "Referer": f"{base}/?q={MOBILE}"})
        assert get(request) == 400
    finally:
        server.terminate()
        out, err = server.communicate(timeout=60)
    access = out.splitlines()
    assert len(access) == 3 and all('"GET /' in line for line in access), out
    assert "q=139****5678&id=440102********1237&fw=139****5678&spaced=139****5678&zw=139****5678" in access[0]
    assert "Not Found: /nothing/440102********1237/" in err and "Invalid HTTP_HOST header: '139****5678'" in err
    assert clear_numbers(out) == [] and clear_numbers("".join(errors) + err) == []


def test_a_log_line_is_read_as_the_server_read_it():
    # WSGI hands raw UTF-8 bytes of a URL over as Latin-1 text.
    raw = f"GET /?q={FULL_WIDTH} HTTP/1.1".encode().decode("latin-1")
    assert redact_log_text(raw) == "GET /?q=139****5678 HTTP/1.1"
    assert redact_log_text('[07/Dec/2026:11:04:10 +0800] "GET /?q=139+1234+5678"') == \
        '[07/Dec/2026:11:04:10 +0800] "GET /?q=139****5678"'
    assert redact_log_text("GET /appeals/?tab=all&q=%E7%94%B5%E6%A2%AF") == "GET /appeals/?tab=all&q=%E7%94%B5%E6%A2%AF"
    # Escapes that are no character are left as written.
    assert redact_log_text("q=\\ud800 \\U00110000 tel 13912345678") == "q=\\ud800 \\U00110000 tel 139****5678"
