"""The product's settings, with the test-only capability installed as any capability is (tests/example_app)."""
from gongzhi.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "example_app"]  # noqa: F405
