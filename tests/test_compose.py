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


@pytest.mark.parametrize("name", ["db", "app", "db-replica", "redis", "web-1", "web-2", "proxy"])
def test_service_defines_a_healthcheck(name: str) -> None:
    healthcheck = _compose()["services"][name].get("healthcheck") or {}
    assert healthcheck.get("test"), f"{name} has no healthcheck test"
    assert not healthcheck.get("disable", False)


@pytest.mark.parametrize(
    ("service", "variable"),
    [
        ("app", "SECRET_KEY"),
        ("prune", "SECRET_KEY"),
        ("web-1", "SECRET_KEY"),
        ("db", "POSTGRES_PASSWORD"),
    ],
)
def test_secret_comes_from_interpolation_without_a_default(service: str, variable: str) -> None:
    value = _environment(_compose()["services"][service])[variable]
    match = REQUIRED_INTERPOLATION.fullmatch(value)
    assert match, f"{service}.{variable} is not a required ${{...}} interpolation: {value!r}"
    assert match["name"] == variable


@pytest.mark.parametrize("service", ["app", "prune", "web-1", "web-2"])
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


# Profile `scale`: two app processes behind nginx, a streaming replica, Redis ------------

DOCKER_DIR = COMPOSE_FILE.parent / "docker"
SCALE = ("db-replica", "redis", "web-1", "web-2", "proxy")


def test_scale_profile_holds_the_scaled_out_services_only() -> None:
    services = _compose()["services"]
    in_scale = {
        name for name, service in services.items() if "scale" in service.get("profiles", [])
    }
    assert in_scale == set(SCALE)
    for name in ("db", "app", "prune"):
        assert "profiles" not in services[name], f"{name} must start without a profile"


def test_scaled_apps_run_the_app_image_with_the_replica_and_redis() -> None:
    services = _compose()["services"]
    app_env = _environment(services["app"])
    for name in ("web-1", "web-2"):
        web = services[name]
        assert web["image"] == services["app"]["image"]
        assert web.get("build") == services["app"].get("build")
        env = _environment(web)
        assert {k: v for k, v in env.items() if k in app_env and k != "NUM_PROXIES"} == {
            k: v for k, v in app_env.items() if k != "NUM_PROXIES"
        }
        assert env["DATABASE_REPLICA_URLS"] == (
            "postgres://ctht_api:${POSTGRES_PASSWORD}@db-replica:5432/ctht_api"
        )
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["NUM_PROXIES"] == "1", "behind one proxy appending to X-Forwarded-For"
        assert "ports" not in web, "reached through the proxy only"


def test_scaled_apps_start_once_migrated_and_their_replica_and_redis_are_up() -> None:
    """The app's entry point migrates; the scaled apps skip it (no concurrent migrate)."""
    for name in ("web-1", "web-2"):
        web = _compose()["services"][name]
        assert {k: v["condition"] for k, v in web["depends_on"].items()} == {
            "app": "service_healthy",
            "db-replica": "service_healthy",
            "redis": "service_healthy",
        }
        assert web["entrypoint"][0] == "gunicorn"
        assert "migrate" not in " ".join(web["entrypoint"])


def test_proxy_is_official_nginx_routing_to_both_app_processes() -> None:
    proxy = _compose()["services"]["proxy"]
    assert re.fullmatch(r"nginx:[0-9.]+-alpine", proxy["image"])
    assert proxy["volumes"] == ["./docker/nginx/nginx.conf:/etc/nginx/nginx.conf:ro"]
    assert {k: v["condition"] for k, v in proxy["depends_on"].items()} == {
        "web-1": "service_healthy",
        "web-2": "service_healthy",
    }
    config = (DOCKER_DIR / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream (\w+) \{(?P<body>[^}]*)\}", config)
    assert upstream, "no upstream block"
    servers = re.findall(r"^\s*server (\S+?)[\s;]", upstream["body"], re.MULTILINE)
    assert servers == ["web-1:8000", "web-2:8000"]
    assert f"proxy_pass http://{upstream[1]};" in config
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in config
    assert "proxy_buffering off;" in config, "streamed exports pass through as they come"


def test_replica_is_a_streaming_copy_of_the_primary() -> None:
    services = _compose()["services"]
    replica, db = services["db-replica"], services["db"]
    assert replica["image"] == db["image"]
    assert replica["depends_on"]["db"]["condition"] == "service_healthy"
    assert (
        _environment(replica)["PGPASSWORD"] == "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
    )
    assert "pgdata-replica:/var/lib/postgresql/data" in replica["volumes"]
    script = (DOCKER_DIR / "postgres" / "replica.sh").read_text(encoding="utf-8")
    assert 'pg_basebackup -h db -U "$POSTGRES_USER" -D "$PGDATA" -R -X stream' in script
    assert 'if [ ! -s "$PGDATA/PG_VERSION" ]' in script, "copies only into an empty volume"
    # The primary lets it replicate, with a password.
    assert "hba_file=/etc/postgresql/pg_hba.conf" in db["command"]
    assert "./docker/postgres/pg_hba.conf:/etc/postgresql/pg_hba.conf:ro" in db["volumes"]
    rules = [
        line.split()
        for line in (DOCKER_DIR / "postgres" / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ["host", "replication", "all", "all", "scram-sha-256"] in rules
    assert ["host", "all", "all", "all", "trust"] not in rules


def test_redis_keeps_nothing_on_disk() -> None:
    """Pins, counters and caches are short-lived: nothing worth a volume."""
    redis = _compose()["services"]["redis"]
    assert re.fullmatch(r"redis:[0-9.]+-alpine", redis["image"])
    assert "volumes" not in redis
