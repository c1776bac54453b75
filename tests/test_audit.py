"""The audit trail covers every write path: the admin, its bulk actions, the commands.

(API writes: tests/api/test_history.py and test_concurrent_writers.py.)
"""

import ast
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from ctht_api.audit import history_tables
from events.models import Event, Statement
from people.models import Person
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def form_data(admin_client, obj) -> dict:
    """The change form's fields as the browser would post them back."""
    response = admin_client.get(change_url(obj))
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = posted(value)
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None and value is not False:
                    data[inline_form.add_prefix(name)] = posted(value)
    return data


def posted(value) -> str | list[str]:
    """A field's value as the browser posts it: a list for a multiple choice."""
    return [str(v) for v in value] if isinstance(value, list | tuple) else str(value)


def inline_prefix(data: dict, pk: int) -> str:
    """The form prefix of the inline row showing entry `pk` (`positions-0`)."""
    rows = [key.removesuffix("-id") for key, value in data.items() if key.endswith("-id")]
    return next(row for row in rows if data[f"{row}-id"] == str(pk))


def test_load_demo_records_one_creation_per_entry(demo):
    statement = Statement.objects.first()
    (record,) = statement.history.all()
    assert record.history_type == "+"
    assert record.history_change_reason.startswith("load_demo")
    assert set(record.countries.values_list("country_id", flat=True)) == set(
        statement.countries.values_list("pk", flat=True)
    )


def test_admin_save_records_the_editor_and_the_reason(admin_client, admin_user, demo):
    person = Person.objects.get(full_name="Nenad Simić")
    data = form_data(admin_client, person)
    data.update(full_name="Nenad Simić Jr.", change_reason="Name as printed in the report")
    response = admin_client.post(change_url(person), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    newest = person.history.first()
    assert (newest.history_type, newest.full_name) == ("~", "Nenad Simić Jr.")
    assert newest.history_user == admin_user
    assert newest.history_change_reason == "Name as printed in the report"
    person.refresh_from_db()
    assert person.version == 2


def test_admin_refuses_to_save_over_a_newer_version(admin_client, demo):
    """An editor opened the form; meanwhile a partner changed the entry through the API."""
    writer = token_client("editor", write=True)
    person = Person.objects.get(full_name="Nenad Simić")
    data = form_data(admin_client, person)
    assert data["seen_version"] == "1"
    writer.patch(f"/api/v1/people/{person.pk}/", {"full_name": "Nenad Simic"}, format="json")

    data["full_name"] = "Nenad Simić (editor's version)"
    response = admin_client.post(change_url(person), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "changed by editor" in page
    assert "Your changes were not saved" in page
    person.refresh_from_db()
    assert (person.full_name, person.version) == ("Nenad Simic", 2)


def test_admin_history_page_shows_changes_escaped(admin_client, demo):
    person = Person.objects.get(full_name="Nenad Simić")
    data = form_data(admin_client, person)
    data.update(full_name="<script>alert(1)</script>", change_reason="<b>why</b>")
    assert admin_client.post(change_url(person), data).status_code == 302
    page = admin_client.get(change_url(person).replace("/change/", "/history/")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;why&lt;/b&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_admin_bulk_publish_records_each_entry(admin_client, admin_user, demo):
    event = Event.objects.get()
    event.status = "draft"
    event.save()
    url = reverse("admin:events_event_changelist")
    response = admin_client.post(
        url, {"action": "publish", "_selected_action": [event.pk]}, follow=True
    )
    assert response.status_code == 200
    newest = event.history.first()
    assert (newest.status, newest.history_user) == ("published", admin_user)
    assert "Bulk action" in newest.history_change_reason


def test_admin_delete_is_recorded(admin_client, admin_user, demo):
    statement = Statement.objects.first()
    url = reverse("admin:events_statement_delete", args=[statement.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    record = Statement.history.filter(id=statement.pk).first()
    assert (record.history_type, record.history_user) == ("-", admin_user)


def test_generate_data_gives_every_entry_its_first_record(db):
    call_command("generate_data", statements=200, seed=3, stdout=None)
    assert Statement.history.filter(history_type="+").count() == Statement.objects.count()
    assert Person.history.count() == Person.objects.count()
    with_countries = Statement.objects.filter(countries__isnull=False).distinct().count()
    m2m_history = dict(history_tables(Statement)[1])[Statement.countries.through]
    assert m2m_history.objects.values("history_id").distinct().count() == with_countries


BULK_WRITES = {"update", "bulk_create", "bulk_update"}


def test_no_code_path_bypasses_the_audit_trail():
    """Signal-based auditing misses QuerySet.update()/bulk_create(): the app code never
    calls them (generate_data writes with COPY and records history in SQL)."""
    offenders = []
    for path in [*ROOT.glob("events/**/*.py"), *ROOT.glob("people/**/*.py")]:
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in BULK_WRITES
                and not isinstance(node.func.value, ast.Name | ast.Constant | ast.Dict)
                and not (  # super().update(): the serializer's, not a QuerySet's
                    isinstance(node.func.value, ast.Call)
                    and getattr(node.func.value.func, "id", "") == "super"
                )
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()")
    assert offenders == []


def test_admin_refuses_to_save_an_inline_row_over_a_newer_version(admin_client, demo):
    """An editor opened a person's page; meanwhile one of their positions changed."""
    writer = token_client("editor", write=True)
    person = Person.objects.filter(positions__isnull=False).first()
    position = person.positions.first()
    data = form_data(admin_client, person)
    writer.patch(f"/api/v1/positions/{position.pk}/", {"title": "Changed by API"}, format="json")

    row = next(
        k[: -len("-id")] for k, v in data.items() if k.endswith("-id") and v == str(position.pk)
    )
    data[f"{row}-title"] = "The editor's title"
    response = admin_client.post(change_url(person), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This position was changed by editor" in page
    assert "Your changes were not saved" in page
    position.refresh_from_db()
    assert (position.title, position.version) == ("Changed by API", 2)


def test_admin_saves_an_inline_row_opened_at_its_current_version(admin_client, demo):
    person = Person.objects.filter(positions__isnull=False).first()
    position = person.positions.first()
    data = form_data(admin_client, person)
    row = next(
        k[: -len("-id")] for k, v in data.items() if k.endswith("-id") and v == str(position.pk)
    )
    data[f"{row}-title"] = "The editor's title"
    assert admin_client.post(change_url(person), data).status_code == 302
    position.refresh_from_db()
    assert (position.title, position.version) == ("The editor's title", 2)
