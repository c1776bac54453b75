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
    [("app", "SECRET_KEY"), ("prune", "SECRET_KEY"), ("db", "POSTGRES_PASSWORD")],
)
def test_secret_comes_from_interpolation_without_a_default(service: str, variable: str) -> None:
    value = _environment(_compose()["services"][service])[variable]
    match = REQUIRED_INTERPOLATION.fullmatch(value)
    assert match, f"{service}.{variable} is not a required ${{...}} interpolation: {value!r}"
    assert match["name"] == variable


@pytest.mark.parametrize("service", ["app", "prune"])
def test_database_url_takes_its_password_from_interpolation(service: str) -> None:
    url = _environment(_compose()["services"][service])["DATABASE_URL"]
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


# The change feed's pruning (`manage.py prune_changes`), once a day ----------------------


def test_prune_runs_the_app_image_with_the_app_environment() -> None:
    services = _compose()["services"]
    prune, app = services["prune"], services["app"]
    assert prune["image"] == app["image"]
    assert prune.get("build") == app.get("build")
    assert _environment(prune) == _environment(app)


def test_prune_starts_once_the_database_is_healthy_and_migrated() -> None:
    """The app's entry point migrates before gunicorn answers /healthz: a healthy app is a
    migrated database. The prune service does not migrate itself (no concurrent migrate)."""
    depends_on = _compose()["services"]["prune"]["depends_on"]
    assert depends_on["db"]["condition"] == "service_healthy"
    assert depends_on["app"]["condition"] == "service_healthy"


def test_prune_runs_prune_changes_once_a_day_and_keeps_running() -> None:
    prune = _compose()["services"]["prune"]
    script = " ".join(prune["entrypoint"][2:] + prune["command"])
    assert prune["entrypoint"][:2] == ["/bin/sh", "-c"]
    assert re.fullmatch(
        r"while true; do python manage\.py prune_changes; sleep 86400; done", script
    ), script
    assert prune["restart"] == "unless-stopped"
    assert prune.get("init") is True, "a shell as PID 1 ignores SIGTERM"


def test_prune_has_no_http_healthcheck_nor_ports() -> None:
    """The image's HEALTHCHECK probes :8000, which the prune loop does not serve."""
    prune = _compose()["services"]["prune"]
    assert prune["healthcheck"] == {"disable": True}
    assert "ports" not in prune


def test_changes_retention_days_defaults_to_90() -> None:
    for name in ("app", "prune"):
        value = _environment(_compose()["services"][name])["CHANGES_RETENTION_DAYS"]
        assert value == "${CHANGES_RETENTION_DAYS:-90}", f"{name}: {value!r}"
