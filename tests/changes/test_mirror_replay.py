"""A mirror replaying `/api/v1/changes/` never drifts from the lists (issue 11).

A hypothesis state machine makes random sequences of writes to the demo
record, through the API (a write token) and through the admin (form posts,
bulk actions, deletions): statements created, edited, translated, published,
unpublished, moved and deleted; translations edited and deleted in the admin;
events created, published and unpublished; institutions, people, events,
positions, documents, programmes and topics renamed (they are embedded in brief
form in other entries); an institution moved to another country; people
appointed and deleted (their positions with them); topics deleted. After each
step two mirrors replay the feed from their last cursor, an anonymous client
and an editor (a write token, which sees drafts), and each must equal what the
eight lists return to that client: the same ids, the same representations.

Each example starts from the same record (the demo): it runs in a savepoint
rolled back at its end, inside the test's transaction. Every request costs a
few milliseconds and a step about twenty of them, so the default is small (4
sequences of 8 steps, new ones on each run); `MIRROR_REPLAY_EXAMPLES` and
`MIRROR_REPLAY_STEPS` explore further, `MIRROR_REPLAY_SHRINK=1` minimises a
failing sequence (minutes).
"""

import os

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from rest_framework.test import APIClient

from events.models import Document, Event, Programme, Statement, StatementTranslation, Topic
from people.models import Institution, Person, Position
from tests.api.conftest import token_client
from tests.changes.mirror import Mirror, drift, listed
from tests.test_audit import change_url, form_data, inline_prefix

pytestmark = pytest.mark.django_db

PICK = st.integers(min_value=0, max_value=10_000)  # which entry, among those that exist
STATUS = st.sampled_from(["published", "draft"])
API_OR_ADMIN = st.sampled_from(["api", "admin"])
PHASES = (Phase.explicit, Phase.generate, Phase.shrink)


def pick(model, n: int, **filters) -> int | None:
    """The id of one existing entry of `model` (the n-th, cyclically), or None if none."""
    ids = list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))
    return ids[n % len(ids)] if ids else None


def expect(response, *statuses: int):
    assert response.status_code in statuses, (response.status_code, response.content[:800])
    return response


class MirrorReplay(RuleBasedStateMachine):
    """Writes through the API and the admin; after each, both mirrors equal the lists."""

    # Set by the test: clients made once, outside the examples' savepoints.
    writer: APIClient
    editor_reader: APIClient
    admin: object

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        cache.clear()
        self.counter = 0

    def teardown(self):
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)
        cache.clear()

    @initialize(page_size=st.sampled_from([4, 500]))
    def mirrors(self, page_size):
        self.mirrors_ = [
            Mirror("anonymous", APIClient(), page_size),
            Mirror("editor", self.editor_reader, page_size),
        ]

    @invariant()
    def each_mirror_equals_the_lists(self):
        for mirror in getattr(self, "mirrors_", []):
            mirror.sync()
            assert drift(mirror.entries, listed(mirror.client)) == {}, mirror.name

    def fresh(self, what: str) -> str:
        self.counter += 1
        return f"{what} {self.counter}"

    # Admin paths ----------------------------------------------------------

    def admin_form_save(self, obj, **changes):
        data = form_data(self.admin, obj)
        data.update(changes)
        response = self.admin.post(change_url(obj), data)
        errors = response.context and response.context.get("errors")
        assert response.status_code == 302, errors

    def admin_action(self, model, action: str, pk: int, **confirm):
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        data = {"action": action, "_selected_action": [pk], **confirm}
        expect(self.admin.post(url, data), 302)

    def admin_delete(self, model, pk: int):
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[pk])
        expect(self.admin.post(url, {"post": "yes"}), 302)

    def rename(self, model, resource: str, field: str, label: str, n: int, via: str) -> None:
        """Give entry `n` of `model` a new `field`, through the API or its admin page."""
        pk, value = pick(model, n), self.fresh(label)
        if via == "api":
            self.patch(resource, pk, {field: value})
        else:
            self.admin_form_save(model.objects.get(pk=pk), **{field: value})

    def patch(self, resource: str, pk: int, body: dict):
        expect(self.writer.patch(f"/api/v1/{resource}/{pk}/", body, format="json"), 200)

    # Statements -----------------------------------------------------------

    @rule(status=STATUS, at_event=st.booleans(), n=PICK)
    def create_statement(self, status, at_event, n):
        body = {
            "text": self.fresh("Technology is part of the solution, said speaker"),
            "language": "en",
            "speaker": pick(Person, n),
            "status": status,
            "event": pick(Event, n) if at_event else None,
        }
        expect(self.writer.post("/api/v1/statements/", body, format="json"), 201)

    @rule(n=PICK)
    def edit_statement_text(self, n):
        pk = pick(Statement, n)
        if pk is not None:
            self.patch("statements", pk, {"text": self.fresh("Edited words")})

    @rule(n=PICK, status=STATUS, via=API_OR_ADMIN)
    def set_statement_status(self, n, status, via):
        pk = pick(Statement, n)
        if pk is None:
            return
        if via == "api":
            self.patch("statements", pk, {"status": status})
        else:
            self.admin_action(Statement, "publish" if status == "published" else "unpublish", pk)

    @rule(n=PICK, via=API_OR_ADMIN)
    def delete_statement(self, n, via):
        pk = pick(Statement, n)
        if pk is None:
            return
        if via == "api":
            expect(self.writer.delete(f"/api/v1/statements/{pk}/"), 204)
        else:
            self.admin_delete(Statement, pk)

    @rule(n=PICK, m=PICK, to_none=st.booleans())
    def move_statement(self, n, m, to_none):
        pk = pick(Statement, n)
        if pk is not None:
            self.patch("statements", pk, {"event": None if to_none else pick(Event, m)})

    @rule(n=PICK, language=st.sampled_from(["de", "it"]))
    def translate_statement(self, n, language):
        """Through the API: the translations are written with the statement."""
        pk = pick(Statement, n)
        if pk is not None:
            translation = {
                "language": language,
                "text": self.fresh("Übersetzt"),
                "kind": "editorial",
            }
            self.patch("statements", pk, {"translations": [translation]})

    @rule(n=PICK)
    def edit_a_translation_in_the_admin(self, n):
        """On the translation's own admin page: a statement's representation lists it."""
        pk = pick(StatementTranslation, n)
        if pk is not None:
            translation = StatementTranslation.objects.get(pk=pk)
            self.admin_form_save(translation, text=self.fresh("Überarbeitet"))

    @rule(n=PICK, via=st.sampled_from(["admin delete", "admin bulk delete"]))
    def delete_a_translation_in_the_admin(self, n, via):
        pk = pick(StatementTranslation, n)
        if pk is None:
            return
        if via == "admin delete":
            self.admin_delete(StatementTranslation, pk)
        else:
            self.admin_action(StatementTranslation, "delete_selected", pk, post="yes")

    @rule(n=PICK)
    def edit_a_statement_in_the_admin(self, n):
        """The statement's admin page: saved with its translations inline."""
        pk = pick(Statement, n)
        if pk is not None:
            self.admin_form_save(Statement.objects.get(pk=pk), text=self.fresh("Admin words"))

    @rule(n=PICK, model=st.sampled_from([Statement, Topic]))
    def bulk_delete_in_the_admin(self, n, model):
        pk = pick(model, n)
        if pk is not None:
            self.admin_action(model, "delete_selected", pk, post="yes")

    # Events ---------------------------------------------------------------

    @rule(n=PICK)
    def create_draft_event_and_move_a_statement_to_it(self, n):
        body = {"title": self.fresh("Workshop on digital evidence"), "kind": "workshop"}
        body["status"] = "draft"
        event = expect(self.writer.post("/api/v1/events/", body, format="json"), 201).json()
        pk = pick(Statement, n)
        if pk is not None:
            self.patch("statements", pk, {"event": event["id"]})

    @rule(n=PICK, status=STATUS, via=st.sampled_from(["api", "admin action", "admin form"]))
    def set_event_status(self, n, status, via):
        pk = pick(Event, n)
        if via == "api":
            self.patch("events", pk, {"status": status})
        elif via == "admin action":
            self.admin_action(Event, "publish" if status == "published" else "unpublish", pk)
        else:
            self.admin_form_save(Event.objects.get(pk=pk), status=status)

    @rule(n=PICK, via=API_OR_ADMIN)
    def rename_event(self, n, via):
        self.rename(Event, "events", "title", "Conference renamed", n, via)

    # Entries embedded in others, in brief form ----------------------------

    @rule(n=PICK, via=API_OR_ADMIN)
    def rename_institution(self, n, via):
        self.rename(Institution, "institutions", "name", "Ministry renamed", n, via)

    @rule(n=PICK, country=st.sampled_from(["BA", "RS", "MK", None]))
    def move_institution_to_another_country(self, n, country):
        self.patch("institutions", pick(Institution, n), {"country": country})

    @rule(n=PICK, via=API_OR_ADMIN)
    def rename_person(self, n, via):
        self.rename(Person, "people", "full_name", "Jelena Petrović", n, via)

    @rule(n=PICK, via=API_OR_ADMIN)
    def rename_position(self, n, via):
        pk, title = pick(Position, n), self.fresh("National Coordinator")
        if pk is None:
            return
        if via == "api":
            self.patch("positions", pk, {"title": title})
            return
        # From the person's page, as a row of its positions inline.
        position = Position.objects.get(pk=pk)
        data = form_data(self.admin, position.person)
        data[f"{inline_prefix(data, pk)}-title"] = title
        response = self.admin.post(change_url(position.person), data)
        assert response.status_code == 302, response.context and response.context.get("errors")

    @rule(m=PICK)
    def appoint_a_new_person(self, m):
        """A person and their position (the position embeds both in brief)."""
        name = {"full_name": self.fresh("Ana Ivanović")}
        person = self.writer.post("/api/v1/people/", name, format="json")
        body = {
            "person": expect(person, 201).json()["id"],
            "institution": pick(Institution, m),
            "title": self.fresh("Head of unit"),
        }
        expect(self.writer.post("/api/v1/positions/", body, format="json"), 201)

    @rule(n=PICK, via=API_OR_ADMIN)
    def delete_a_person_who_said_nothing(self, n, via):
        """Their positions go with them (a cascade): deleted for every client."""
        pk = pick(Person, n, statements__isnull=True)
        if pk is None:
            return
        if via == "api":
            expect(self.writer.delete(f"/api/v1/people/{pk}/"), 204)
        else:
            self.admin_delete(Person, pk)

    @rule(n=PICK)
    def rename_document(self, n):
        pk = pick(Document, n)
        if pk is not None:
            self.patch("documents", pk, {"title": self.fresh("Report renamed")})

    @rule(n=PICK)
    def rename_programme(self, n):
        pk = pick(Programme, n)
        if pk is not None:
            self.patch("programmes", pk, {"name": self.fresh("Programme renamed")})

    @rule(n=PICK)
    def rename_topic_slug(self, n):
        pk = pick(Topic, n)
        if pk is not None:
            self.patch("topics", pk, {"slug": self.fresh("renamed-topic").replace(" ", "-")})

    @rule(n=PICK)
    def delete_topic(self, n):
        pk = pick(Topic, n)
        if pk is not None:
            expect(self.writer.delete(f"/api/v1/topics/{pk}/"), 204)


@pytest.fixture
def clients(demo, admin_client):
    MirrorReplay.writer = token_client("editor", write=True)
    MirrorReplay.editor_reader = MirrorReplay.writer
    MirrorReplay.admin = admin_client


def test_every_step_once_then_the_mirrors_equal_the_lists(clients):
    """Each step once, in an order where each finds something to change, so that a step
    that stops working fails here on every run, whatever the random sequences draw."""
    machine = MirrorReplay()
    try:
        machine.mirrors(page_size=4)
        machine.create_statement(status="published", at_event=True, n=0)
        machine.create_statement(status="draft", at_event=False, n=1)
        machine.edit_statement_text(n=0)
        machine.translate_statement(n=0, language="de")
        machine.edit_a_translation_in_the_admin(n=0)
        machine.edit_a_statement_in_the_admin(n=0)
        machine.set_statement_status(n=1, status="published", via="api")
        machine.set_statement_status(n=0, status="draft", via="admin")
        machine.set_event_status(n=0, status="draft", via="api")
        machine.set_event_status(n=0, status="published", via="admin action")
        machine.set_event_status(n=0, status="draft", via="admin form")
        machine.each_mirror_equals_the_lists()
        machine.set_statement_status(n=0, status="published", via="admin")
        machine.set_event_status(n=0, status="published", via="api")
        machine.each_mirror_equals_the_lists()
        machine.create_draft_event_and_move_a_statement_to_it(n=2)
        machine.move_statement(n=3, m=1, to_none=False)
        machine.move_statement(n=0, m=0, to_none=True)
        for via in ("api", "admin"):
            machine.rename_event(n=0, via=via)
            machine.rename_institution(n=0, via=via)
            machine.rename_person(n=0, via=via)
            machine.rename_position(n=0, via=via)
        machine.move_institution_to_another_country(n=0, country=None)
        machine.rename_document(n=0)
        machine.rename_programme(n=0)
        machine.rename_topic_slug(n=0)
        machine.appoint_a_new_person(m=0)
        machine.appoint_a_new_person(m=1)
        machine.delete_a_person_who_said_nothing(n=0, via="api")
        machine.delete_a_person_who_said_nothing(n=0, via="admin")
        machine.translate_statement(n=1, language="it")
        machine.translate_statement(n=2, language="it")
        machine.translate_statement(n=3, language="it")
        # A write the feed misses shows only in a mirror that read the entry before it.
        machine.each_mirror_equals_the_lists()
        for via in ("admin delete", "admin bulk delete"):
            machine.delete_a_translation_in_the_admin(n=0, via=via)
        machine.each_mirror_equals_the_lists()
        machine.delete_topic(n=0)
        machine.bulk_delete_in_the_admin(n=0, model=Topic)
        for via in ("api", "admin"):
            machine.delete_statement(n=0, via=via)
        machine.bulk_delete_in_the_admin(n=0, model=Statement)
        machine.each_mirror_equals_the_lists()
        assert StatementTranslation.objects.count() == 1
    finally:
        machine.teardown()


def test_a_mirror_replaying_the_feed_equals_the_lists(clients):
    run_state_machine_as_test(
        MirrorReplay,
        settings=settings(
            max_examples=int(os.environ.get("MIRROR_REPLAY_EXAMPLES", "4")),
            stateful_step_count=int(os.environ.get("MIRROR_REPLAY_STEPS", "8")),
            deadline=None,
            database=None,
            # New sequences on every run: few at a time, many over the runs. A failure is
            # a real drift (a sequence replays the same), printed with a blob to replay it.
            print_blob=True,
            # Shrinking replays a failing sequence many times (a second or so a step):
            # minutes. The sequence printed unshrunk is at most a few steps, with the
            # drift it caused; MIRROR_REPLAY_SHRINK=1 minimises it.
            phases=PHASES if os.environ.get("MIRROR_REPLAY_SHRINK") else PHASES[:-1],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
