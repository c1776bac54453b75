"""No write path can skip the change feed.

The feed follows model signals (saves, deletions, many-to-many changes) for
every resource, and the bulk paths that send no signals call it themselves.
These tests walk the code, as tests/test_audit.py does for the audit trail:
a write that bypasses the signals (a bulk queryset method, SQL that writes)
is allowed only in a module that feeds the change feed itself, or for a table
the feed does not show, each with its reason.
"""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models.signals import m2m_changed, post_delete, post_save

from changes import feed
from changes.models import Change

ROOT = Path(__file__).resolve().parent.parent.parent
APP_CODE = ["ctht_api", "events", "people", "accounts", "changes", "dashboard"]
BULK_WRITES = {"update", "bulk_create", "bulk_update"}
# SQL that writes, as the code spells it (upper-case keywords; prose and docstrings aside).
SQL_WRITES = re.compile(r"\bINSERT INTO\b|\bUPDATE (\S+ SET\b|$)|\bDELETE FROM\b|\bCOPY (\S|$)")

# Modules that call the feed for what they write in bulk.
FEEDING = {
    "events/generate.py": "generate_data: COPY, then feed.record_unrecorded()",
    "ctht_api/backup.py": "import_data: INSERT/COPY, then feed.restart()",
    "changes/feed.py": "the feed itself (and `_touch`: updated_at only, see its docstring)",
}
# Modules whose SQL writes tables the feed does not show.
NOT_THE_RECORD = {
    "ctht_api/audit.py": "history tables (insert_baseline_history)",
    "ctht_api/throttling.py": "the rate-limit counters",
    "accounts/authentication.py": "a token's last_used_at",
}
# Models of the record that are not resources of the feed, and why.
NOT_FOLLOWED = {
    "people.country": "reference data: shown as codes, counted by /countries/ (no entries)",
    "events.statementtranslation": "part of its statement: every save refreshes the statement",
    **{
        f"{label}othername": "part of its owner: written through the owner, whose version goes up"
        for label in ("people.person", "people.institution", "people.position")
    },
    "events.programmeothername": "part of its programme: written through the programme",
    "events.eventothername": "part of its event: written through the event",
    "events.topictranslation": "part of its topic: written through the topic",
    **{
        f"{label}identifier": "part of its owner: written through the owner, whose version goes up"
        for label in (
            "people.person",
            "people.institution",
            "events.event",
            "events.programme",
            "events.document",
        )
    },
}


def app_modules():
    for top in APP_CODE:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def writes_without_signals(tree: ast.AST) -> list[int]:
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in BULK_WRITES
            and not isinstance(node.func.value, ast.Name | ast.Constant | ast.Dict)
            and not (
                isinstance(node.func.value, ast.Call)
                and getattr(node.func.value.func, "id", "") == "super"
            )
        ) or (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and SQL_WRITES.search(node.value)
        ):
            lines.append(node.lineno)
    return lines


def test_every_write_without_signals_is_in_a_module_that_feeds_the_feed():
    offenders = []
    for name, tree in app_modules():
        if name in FEEDING or name in NOT_THE_RECORD:
            continue
        offenders += [f"{name}:{line}" for line in writes_without_signals(tree)]
    assert offenders == [], (
        "These write without model signals, so the change feed would not see them: "
        "call changes.feed for what they write, or list the module with its reason."
    )


def test_the_listed_modules_do_write_without_signals():
    """The lists above stay honest: a module listed that no longer writes is taken off."""
    modules = dict(app_modules())
    for name in [*FEEDING, *NOT_THE_RECORD]:
        assert writes_without_signals(modules[name]), name


def test_the_modules_that_feed_the_feed_do_call_it():
    calls = {"record_unrecorded", "restart", "note", "note_fanout"}
    for name in set(FEEDING) - {"changes/feed.py"}:
        tree = dict(app_modules())[name]
        called = {
            node.func.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        }
        assert called & calls, f"{name} writes in bulk but never calls the change feed"


def test_every_model_of_the_record_is_followed_or_says_why_not():
    record = [
        model
        for app in ("people", "events")
        for model in apps.get_app_config(app).get_models()
        if not model._meta.label_lower.split(".")[1].startswith("historical")
    ]
    followed = set(feed.resources())
    unexplained = [
        model._meta.label_lower
        for model in record
        if model not in followed and model._meta.label_lower not in NOT_FOLLOWED
    ]
    assert unexplained == []
    assert {m._meta.label_lower for m in followed} >= {
        "events.statement",
        "events.event",
        "people.person",
        "people.institution",
    }


def test_every_followed_model_and_list_has_its_receivers():
    for model in feed.resources():
        assert feed._saved in _receivers(post_save, model), model
        assert feed._deleted in _receivers(post_delete, model), model
        for m2m in model._meta.many_to_many:
            assert feed._m2m_changed in _receivers(m2m_changed, m2m.remote_field.through), m2m


def _receivers(signal, sender):
    return [r for r in signal._live_receivers(sender)[0]]


@pytest.mark.django_db
def test_load_demo_and_generate_data_put_every_entry_in_the_feed():
    call_command("load_demo", stdout=None)
    call_command("generate_data", statements=120, seed=5, stdout=None)
    for model, resource in feed.resources().items():
        stored = set(model._base_manager.values_list("pk", flat=True))
        fed = set(
            Change.objects.filter(resource=resource, deleted=False).values_list(
                "object_id", flat=True
            )
        )
        assert fed == stored, resource
