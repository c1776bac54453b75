"""Every operation of the OpenAPI document, fuzzed by schemathesis: no 5xx, nothing undocumented.

Design, and why:

- **In-process WSGI**, not the CLI against gunicorn: no port to find, no server
  to start and stop, and each request runs on the test's own database
  connection, so the demo data loaded by the `demo` fixture is what the API
  serves. Each request runs in a savepoint that is rolled back afterwards:
  every generated case sees the same pristine demo data, so a failure replays
  the same way when Hypothesis shrinks it (a DELETE of a demo row cannot make
  later cases flaky).
- **The served document** (`/api/schema/?format=json`) drives the run, so any
  operation or response added to the API (rate limits, ETags, history, …) is
  fuzzed and checked without a change here. It is loaded at import, so each
  operation is its own pytest item with its own transaction and demo data
  (`schemathesis.pytest.from_fixture` would run them all inside one test, and
  its node-id rewriting does not work with pytest 9.2).
- **Identities:** the writer holds a `--write` token and exercises every
  operation, reads and writes; anonymous and a read-only token run fewer
  examples, enough to check that their 401/403 answers and the hidden drafts
  are documented.
- **Real values:** path ids and request-body relations are, half the time,
  replaced by ones that exist in the demo data, so detail, update and delete
  operations get past the 404 and creations past "no such speaker"; the other
  half stays generated, exercising the errors.
- **Checks:** any 5xx (`not_a_server_error`) and any response that does not
  match the document: status code, content type, headers and body. Not
  `positive_data_acceptance`/`negative_data_rejection`: they judge how strict
  validation is, not the document (a well-typed body naming a speaker that
  does not exist is rightly a 400).
- **Phases:** the writer also runs schemathesis' coverage phase (deterministic
  boundary and invalid values for every parameter: most of the run's
  requests); the other identities run the fuzzing phase only.
- **Determinism and budget:** a fixed seed, derandomized Hypothesis, no example
  database and a bounded number of examples per operation (`FUZZ_EXAMPLES`,
  default below), so CI runs the same cases every time in a few minutes.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import existing_values, path_variable_model, relation_values

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

SEED = 20240917
# Cases per operation in the fuzzing phase (positive and negative); the writer's coverage
# phase adds its own deterministic boundary cases, the bulk of the run.
WRITER_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
OTHER_EXAMPLES = max(1, WRITER_EXAMPLES // 5)
# A regular expression narrowing the run to some paths, when chasing one failure.
ONLY_PATHS = os.environ.get("FUZZ_PATHS")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

CONFIG = {
    "seed": SEED,
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    "generation": {
        "mode": "all",
        "deterministic": True,
        "database": "none",
        # The harness sends the identity's own credentials, not generated ones.
        "with-security-parameters": False,
    },
    "phases": {"stateful": {"enabled": False}},
}

IDENTITIES = {"writer": True, "reader": False, "anonymous": None}


def real_path_parameters(case) -> st.SearchStrategy:
    """The case as generated, or with its path variables set to rows that exist."""
    if not case.path_parameters or (case.meta and case.meta.is_negative_at(ParameterLocation.PATH)):
        return st.just(case)
    choices = {}
    for name in case.path_parameters:
        model = path_variable_model(case.operation.path, name)
        values = existing_values(model) if model is not None else []
        if not values:
            return st.just(case)
        choices[name] = st.sampled_from(values)

    def replace(values: dict[str, Any]):
        case.path_parameters = {**case.path_parameters, **values}
        return case

    return st.one_of(st.just(case), st.fixed_dictionaries(choices).map(replace))


def real_relations(case) -> st.SearchStrategy:
    """The case as generated, or with the body's relations pointing to rows that exist."""
    body = case.body
    negative = case.meta and case.meta.is_negative_at(ParameterLocation.BODY)
    if not isinstance(body, dict) or negative:
        return st.just(case)
    choices = {}
    for name, (many, values) in relation_values(case.operation.path).items():
        if name in body and body[name] is not None:
            value = st.sampled_from(values)
            choices[name] = st.lists(value, max_size=3, unique=True) if many else value
    if not choices:
        return st.just(case)

    def replace(values: dict[str, Any]):
        case.body = {**body, **values}
        return case

    return st.one_of(st.just(case), st.fixed_dictionaries(choices).map(replace))


NO_LIMITS = {"anon": "off", "read": "off", "write": "off"}


def load_schema(*, max_examples: int, coverage: bool):
    """The document the app serves, bound to the app in-process, with the real-values hook."""
    config = {
        **CONFIG,
        "generation": {**CONFIG["generation"], "max-examples": max_examples},
        "phases": {**CONFIG["phases"], "coverage": {"enabled": coverage}},
    }
    # The app speaks plain HTTP in-process (its middleware reads the redirect setting
    # once, here) and the schema request must not spend a rate-limit budget before
    # the database is even set up; during the tests, tests/conftest.py turns limits off.
    with override_settings(SECURE_SSL_REDIRECT=False, RATE_LIMITS=NO_LIMITS):
        loaded = schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json", WSGIHandler(), config=SchemathesisConfig.from_dict(config)
        )

    @loaded.hook
    def flatmap_case(context, case):
        return real_path_parameters(case).flatmap(real_relations)

    return loaded.include(path_regex=ONLY_PATHS) if ONLY_PATHS else loaded


# The writer reaches every outcome, so it gets the coverage phase too; the other
# identities differ only in what they may see and do, which fewer cases establish.
writer_schema = load_schema(max_examples=WRITER_EXAMPLES, coverage=True)
other_schema = load_schema(max_examples=OTHER_EXAMPLES, coverage=False)
ONE_DEMO_PER_OPERATION = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def call_and_validate(case, identity: str) -> None:
    """Send the case as `identity` inside a savepoint rolled back afterwards, then check it."""
    from accounts.services import issue_token

    write = IDENTITIES[identity]
    headers = {}
    if write is not None:
        headers["Authorization"] = "Token " + issue_token(username=f"fuzz-{identity}", write=write)
    with transaction.atomic():
        case.call_and_validate(headers=headers, checks=CHECKS)
        transaction.set_rollback(True)


@ONE_DEMO_PER_OPERATION
@writer_schema.parametrize()
def test_writer(case, demo, in_process):
    """With a write token, every request gets a documented answer, never a server error."""
    call_and_validate(case, "writer")


@ONE_DEMO_PER_OPERATION
@other_schema.parametrize()
def test_reader(case, demo, in_process):
    """With a token without permissions: reads as anyone, writes refused as documented (403)."""
    call_and_validate(case, "reader")


@ONE_DEMO_PER_OPERATION
@other_schema.parametrize()
def test_anonymous(case, demo, in_process):
    """Without credentials: published entries only, writes refused as documented (401)."""
    call_and_validate(case, "anonymous")


def test_harness_reaches_real_rows(demo):
    """The real-values lookups find demo rows for every path variable of the document."""
    # Guards the hooks above: if they silently found nothing, updates would only see 404s.
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    for path in document["paths"]:
        for name in re.findall(r"\{(\w+)\}", path):
            model = path_variable_model(path, name)
            assert model is not None, (path, name)
            assert existing_values(model), (path, name)
