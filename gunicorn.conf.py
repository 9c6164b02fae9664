"""gunicorn's settings for bin/serve (`gunicorn -c gunicorn.conf.py`; gunicorn started in this directory reads
them too). PORT and WEB_CONCURRENCY come from the environment."""
import os

from gunicorn.glogging import Logger

from gongzhi.core.logs import RedactIdentifiers

wsgi_app = "gongzhi.wsgi:application"
bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
timeout = 120


class RedactingLogger(Logger):
    """The access log prints query strings (searches are GET requests) and the error log what failed:
    every line of both goes through the product's masking of personal identifiers (gongzhi.core.logs)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactIdentifiers) for f in handler.filters):
                    handler.addFilter(RedactIdentifiers())


logger_class = RedactingLogger
