"""The API tests' clients and demo entries, for the change feed's tests."""

from tests.api.conftest import conference, serbian_ministry, writer  # noqa: F401
