"""Fixtures of the web application's browser tests (tests/web/harness.py)."""

from tests.web.harness import browser, context, playwright, recorder, web_app  # noqa: F401
