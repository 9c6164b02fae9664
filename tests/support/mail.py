"""An e-mail backend for worker processes started by the tests: each message is written to a file of its
own in GONGZHI_TEST_MAIL_DIR as it is sent, so what a killed process had sent can still be counted.

With GONGZHI_TEST_MAIL_STOP_AT=n, the process stops for good just before sending the n-th message of the
directory (after writing the file "stopped"), to be killed there: that message is claimed and not sent.
GONGZHI_TEST_MAIL_DELAY=seconds makes each message take that long, as a mail server's round trip does
(bench/fault_trial.py).
"""
import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class FileBackend(BaseEmailBackend):
    def send_messages(self, messages):
        folder = Path(os.environ["GONGZHI_TEST_MAIL_DIR"])
        stop_at = int(os.environ.get("GONGZHI_TEST_MAIL_STOP_AT") or 0)
        delay = float(os.environ.get("GONGZHI_TEST_MAIL_DELAY") or 0)
        for m in messages:
            time.sleep(delay)
            if stop_at and len(sent(folder)) + 1 == stop_at:
                (folder / "stopped").write_text(m.extra_headers.get("Message-ID", ""))
                time.sleep(3600)
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(m.message().as_bytes())
        return len(messages)


def sent(folder):
    return sorted(Path(folder).glob("*.eml"))


def message_ids(folder):
    """The Message-ID of every message sent, in no particular order (one entry per copy)."""
    from email import message_from_bytes

    return [message_from_bytes(p.read_bytes())["Message-ID"] for p in sent(folder)]
