"""Text messages to a mobile number, through a pluggable sender.

`settings.GONGZHI_SMS_SENDER` is the dotted path of a class with `send(mobile, text)`; one is made per message.
The default, ConsoleSender, writes the message to the log (development: the one-time code can be read there);
MemorySender keeps them in a list (tests); HttpSmsSender is the adapter for an SMS gateway reached over HTTP
(docs/sms.md says how to enable it, or to write one for another provider). A sender raises SendFailed when the
message did not go: the caller has committed its row already and the person may ask again.
"""
import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from gongzhi.core.identity import mask_mobile

log = logging.getLogger("gongzhi.sms")


class SendFailed(Exception):
    pass


class MessageSender:
    """What a sender is: `send` delivers one text to one mainland mobile number (11 digits) or raises SendFailed."""

    def send(self, mobile: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSender(MessageSender):
    """Development: the message goes to the log, the number masked (the code is what one needs to read)."""

    def send(self, mobile, text):
        log.warning("SMS to %s: %s", mask_mobile(mobile), text)


class MemorySender(MessageSender):
    """Tests: every message kept in `outbox` as (mobile, text), like Django's mail.outbox."""

    outbox: list = []

    def send(self, mobile, text):
        MemorySender.outbox.append((mobile, text))


class HttpSmsSender(MessageSender):
    """An SMS gateway that takes a JSON POST: settings.GONGZHI_SMS_HTTP = {"URL": …, "API_KEY": …,
    "SIGN_NAME": …, "TIMEOUT": 5}. The body is {"mobile", "text", "sign_name"} with the key in an
    Authorization: Bearer header; a 2xx answer is taken as accepted. Providers with a body of their own
    (a template id and parameters instead of the text) subclass it and override `payload`."""

    def __init__(self):
        conf = getattr(settings, "GONGZHI_SMS_HTTP", None) or {}
        missing = [k for k in ("URL", "API_KEY") if not conf.get(k)]
        if missing:
            raise ImproperlyConfigured(f"GONGZHI_SMS_HTTP needs {', '.join(missing)} for HttpSmsSender")
        self.url, self.key = conf["URL"], conf["API_KEY"]
        self.sign_name = conf.get("SIGN_NAME", "")
        self.timeout = float(conf.get("TIMEOUT", 5))

    def payload(self, mobile, text):
        return {"mobile": mobile, "text": text, "sign_name": self.sign_name}

    def send(self, mobile, text):
        body = json.dumps(self.payload(mobile, text), ensure_ascii=False).encode()
        req = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.key}"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as answer:  # noqa: S310 (the configured URL)
                if not 200 <= answer.status < 300:
                    raise SendFailed(f"gateway answered {answer.status}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SendFailed(str(exc)) from exc


def sender() -> MessageSender:
    return import_string(settings.GONGZHI_SMS_SENDER)()


def send(mobile, text):
    """Send now; a failure is logged (without the number's digits) and swallowed: the answer to the person is
    the same whether a message went, and they may ask for another."""
    try:
        sender().send(mobile, text)
    except SendFailed as exc:
        log.error("SMS to %s failed: %s", mask_mobile(mobile), exc)
