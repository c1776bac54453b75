"""The docker-compose.yml is a valid Compose file, wired safely: no Docker engine needed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.compose_schema import validate

COMPOSE_FILE = Path(__file__).resolve().parent.parent / "docker-compose.yml"

# A whole value that is one `${VAR}` or `${VAR:?message}` / `${VAR?message}`
# interpolation: the value comes from the environment, with no default to fall back on.
REQUIRED_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?\?[^}]*)?\}")


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whether written as a mapping or a list."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    assert validate(COMPOSE_FILE) == []


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(
            "services:\n  app:\n    image: ctht-api:latest\n    ports: not-a-list\n",
            id="ports-not-a-list",
        ),
        pytest.param(
            "services:\n  app:\n    image: ctht-api:latest\nnot_a_compose_key: true\n",
            id="unknown-top-level-key",
        ),
        pytest.param(
            "services:\n  app:\n    image: ctht-api:latest\n    depends_on:\n"
            "      db:\n        condition: when_it_feels_like_it\n",
            id="unknown-depends-on-condition",
        ),
    ],
)
def test_validator_rejects_an_invalid_compose_document(tmp_path: Path, document: str) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(document, encoding="utf-8")
    assert validate(broken) != []


def test_validator_reports_a_yaml_syntax_error_instead_of_raising(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services: [unclosed\n", encoding="utf-8")
    assert validate(broken) != []


def test_app_waits_for_a_healthy_database() -> None:
    app = _compose()["services"]["app"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ["db", "app"])
def test_service_defines_a_healthcheck(name: str) -> None:
    healthcheck = _compose()["services"][name].get("healthcheck") or {}
    assert healthcheck.get("test"), f"{name} has no healthcheck test"
    assert not healthcheck.get("disable", False)


@pytest.mark.parametrize(
    ("service", "variable"),
    [("app", "SECRET_KEY"), ("db", "POSTGRES_PASSWORD")],
)
def test_secret_comes_from_interpolation_without_a_default(service: str, variable: str) -> None:
    value = _environment(_compose()["services"][service])[variable]
    match = REQUIRED_INTERPOLATION.fullmatch(value)
    assert match, f"{service}.{variable} is not a required ${{...}} interpolation: {value!r}"
    assert match["name"] == variable


def test_database_url_takes_its_password_from_interpolation() -> None:
    url = _environment(_compose()["services"]["app"])["DATABASE_URL"]
    credentials = re.match(r"^[a-z][a-z0-9+.-]*://[^:/@]+:(?P<password>[^@]*)@", url)
    assert credentials, f"DATABASE_URL has no user:password@ part: {url!r}"
    assert credentials["password"] == "${POSTGRES_PASSWORD}"


def test_no_environment_value_holds_a_literal_secret() -> None:
    secret_like = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY", re.IGNORECASE)
    for name, service in _compose()["services"].items():
        for key, value in _environment(service).items():
            if secret_like.search(key):
                assert REQUIRED_INTERPOLATION.fullmatch(value), (
                    f"{name}.{key} holds a literal value instead of a ${{...}} interpolation"
                )
