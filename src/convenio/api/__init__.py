"""The REST API under /api/v1 (and DHIS2's Web API where its clients expect it)."""

from convenio.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
