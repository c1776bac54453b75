"""The image holds every app of the project: the Dockerfile copies it and the package finds it.

An app in INSTALLED_APPS that the image lacks fails at the container's first
`manage.py` (ModuleNotFoundError), which no test that runs from the checkout sees.
"""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _project_apps() -> list[str]:
    """The INSTALLED_APPS that are packages of this checkout (not of a dependency)."""
    return sorted(
        app
        for app in settings.INSTALLED_APPS
        if "." not in app and (ROOT / app / "__init__.py").is_file()
    )


def test_there_are_project_apps() -> None:
    assert {"ctht_api", "events", "changes"} <= set(_project_apps())


@pytest.mark.parametrize("app", _project_apps())
def test_the_dockerfile_copies_the_app(app: str) -> None:
    copied = re.findall(r"^COPY\s+(\S+)/\s+\S+/?\s*$", (ROOT / "Dockerfile").read_text(), re.M)
    assert app in copied, f"Dockerfile has no `COPY {app}/ {app}/`"


@pytest.mark.parametrize("app", _project_apps())
def test_the_package_includes_the_app(app: str) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert any(fnmatch(app, pattern) for pattern in include), (
        f"[tool.setuptools.packages.find] include has no pattern for {app}"
    )
