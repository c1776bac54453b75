"""Fixtures for the schemathesis pass: the loaded document, the identities, real values.

Kept apart from `tests/conftest.py` so the ordinary suite never imports schemathesis.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, models
from django.urls import Resolver404, resolve
from rest_framework import relations

from ctht_api.schema import scope_model
from ctht_api.schema_extensions import view_model


def pytest_ignore_collect(collection_path, config) -> bool | None:
    """Skip importing the fuzz module under the default `-m "not fuzz"`: it loads the
    whole OpenAPI document at import, seconds that `make test` would spend for nothing."""
    if collection_path.name.startswith("test_") and config.option.markexpr == "not fuzz":
        return True
    return None


@pytest.fixture
def in_process() -> Iterator[None]:
    """Let Django's WSGI application run in-process on the test's own connection.

    Django closes "old" connections around each request; inside the test's
    transaction that would mark it broken, so, like Django's test client, the
    harness unhooks that for the duration.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def resolved_view(path_template: str):
    """The view class serving an OpenAPI path template such as `/api/v1/events/{id}/`."""

    def sample(match: re.Match) -> str:
        return "AA" if match.group(1).endswith("code") else "1"

    try:
        return resolve(re.sub(r"\{(\w+)\}", sample, path_template)).func.cls
    except (Resolver404, AttributeError):
        return None


def path_variable_model(path_template: str, variable: str) -> type[models.Model] | None:
    """The model a path variable names: `id` is the view's own, `event_pk` an Event."""
    if variable in {"id", "pk"}:
        view = resolved_view(path_template)
        return view_model(view) if view is not None else None
    return scope_model(variable)


def existing_values(model: type[models.Model], field: str = "pk", limit: int = 20) -> list[Any]:
    """Up to `limit` values of `field` that exist in the database, in a stable order."""
    return list(
        model._default_manager.order_by("pk").values_list(field, flat=True).distinct()[:limit]
    )


def relation_values(path_template: str) -> dict[str, tuple[bool, list[Any]]]:
    """For each writable relation of the view's serializer: (is a list, values that exist)."""
    view = resolved_view(path_template)
    serializer_class = getattr(view, "serializer_class", None)
    if serializer_class is None:
        return {}
    found = {}
    for name, field in serializer_class().fields.items():
        if field.read_only:
            continue
        many = isinstance(field, relations.ManyRelatedField)
        relation = field.child_relation if many else field
        if not isinstance(relation, relations.RelatedField) or relation.queryset is None:
            continue
        slug = getattr(relation, "slug_field", None) or "pk"
        values = existing_values(relation.queryset.model, slug)
        if values:
            found[name] = (many, values)
    return found
