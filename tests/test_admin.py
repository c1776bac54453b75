"""Every admin page an editor uses opens, stays cheap, and refuses bad data."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from ctht_api.models import Status
from events.models import Event, Statement
from people.models import Country, Institution, Person
from tests.factories import StatementTranslationFactory

pytestmark = pytest.mark.django_db

# Generous enough for inlines and filters, small enough to catch a query per row.
MAX_QUERIES = 25

MODEL_ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
PROJECT_ADMINS = [
    pytest.param(model, model_admin, id=model._meta.label)
    for model, model_admin in MODEL_ADMINS
    if model._meta.app_label in {"people", "events"}
]


@pytest.fixture
def record(demo):
    """The demo data plus a translation, so every model has a row to open."""
    StatementTranslationFactory(statement=Statement.objects.first(), language="en")


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize(("model", "model_admin"), PROJECT_ADMINS)
def test_changelist_opens_with_bounded_queries(
    admin_client, record, model, model_admin, django_assert_max_num_queries
):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count() > 0


@pytest.mark.parametrize(("model", "model_admin"), PROJECT_ADMINS)
def test_changelist_search_opens(admin_client, record, model, model_admin):
    assert model_admin.search_fields, f"{model.__name__} admin has no search"
    response = admin_client.get(admin_url(model, "changelist"), {"q": "Conseil"})
    assert response.status_code == 200


@pytest.mark.parametrize(("model", "model_admin"), PROJECT_ADMINS)
def test_every_filter_choice_opens(
    admin_client, record, model, model_admin, django_assert_max_num_queries
):
    url = admin_url(model, "changelist")
    changelist = admin_client.get(url).context["cl"]
    opened = 0
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            with django_assert_max_num_queries(MAX_QUERIES):
                response = admin_client.get(url + choice["query_string"])
            assert response.status_code == 200, choice["query_string"]
            opened += 1
    assert opened >= len(changelist.filter_specs)


@pytest.mark.parametrize(("model", "model_admin"), PROJECT_ADMINS)
def test_add_page_opens_when_adding_is_allowed(admin_client, model, model_admin):
    response = admin_client.get(admin_url(model, "add"))
    expected = 200 if model_admin.has_add_permission(_superuser_request()) else 403
    assert response.status_code == expected


@pytest.mark.parametrize(("model", "model_admin"), PROJECT_ADMINS)
def test_change_page_opens_with_bounded_queries(
    admin_client, record, model, model_admin, django_assert_max_num_queries
):
    obj = model.objects.order_by("pk").first()
    with django_assert_max_num_queries(MAX_QUERIES):
        response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200


def _superuser_request():
    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(is_superuser=True)
    return request


def test_filters_exist_for_what_editors_sort_by():
    def names(model):
        return {
            f if isinstance(f, str) else f[0] if isinstance(f, tuple) else f.parameter_name
            for f in admin.site._registry[model].list_filter
        }

    assert {"status", "embargoed", "language", "countries", "topics", "event", "date"} <= names(
        Statement
    )
    assert {"status", "embargoed", "kind", "country", "countries", "topics", "start_date"} <= (
        names(Event)
    )
    assert {"kind", "country"} <= names(Institution)


def test_statement_search_finds_text_and_speaker(admin_client, demo):
    url = admin_url(Statement, "changelist")
    by_text = admin_client.get(url, {"q": "crime odieux"}).context["cl"].result_count
    by_speaker = admin_client.get(url, {"q": "Simić"}).context["cl"].result_count
    assert (by_text, by_speaker) == (1, 1)


def test_country_names_are_shown_in_the_statement_list(admin_client, demo):
    content = admin_client.get(admin_url(Statement, "changelist")).content.decode()
    assert "North Macedonia" in content
    assert "Bosnia and Herzegovina" in content


def management_form(prefix: str) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def statement_form(speaker: Person, **overrides) -> dict:
    return {
        "text": "Words said.",
        "language": "en",
        "status": "draft",
        "speaker": speaker.pk,
        **management_form("translations"),
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"text": "   "}, "text"),
        ({"language": "klingon"}, "language"),
        ({"language": "xx"}, "language"),
        ({"countries": ["ZZ"]}, "countries"),
    ],
)
def test_statement_form_refuses_bad_data(admin_client, overrides, field):
    speaker = Person.objects.create(full_name="Biljana Lalova")
    response = admin_client.post(admin_url(Statement, "add"), statement_form(speaker, **overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Statement.objects.exists()


def test_event_form_refuses_end_before_start(admin_client):
    data = {
        "title": "Workshop",
        "kind": "workshop",
        "status": "draft",
        "start_date": "2026-05-02",
        "end_date": "2026-05-01",
        **management_form("statements"),
    }
    response = admin_client.post(admin_url(Event, "add"), data)
    assert response.status_code == 200
    assert "end_date" in response.context["adminform"].form.errors
    assert not Event.objects.exists()


def test_institution_form_refuses_unknown_country(admin_client):
    data = {"name": "Ministry", "kind": "ministry", "country": "ZZ", **management_form("positions")}
    response = admin_client.post(admin_url(Institution, "add"), data)
    assert response.status_code == 200
    assert "country" in response.context["adminform"].form.errors
    assert not Institution.objects.exists()


def test_statement_saved_in_admin_gets_default_countries(admin_client):
    institution = Institution.objects.create(name="Ministry of Interior", country_id="RS")
    speaker = Person.objects.create(full_name="Nenad Simić")
    response = admin_client.post(
        admin_url(Statement, "add"), statement_form(speaker, institution=institution.pk)
    )
    assert response.status_code == 302
    statement = Statement.objects.get()
    assert list(statement.countries.values_list("code", flat=True)) == ["RS"]


def test_publish_and_unpublish_actions(admin_client, demo):
    url = admin_url(Statement, "changelist")
    ids = list(Statement.objects.values_list("pk", flat=True)[:2])
    admin_client.post(url, {"action": "unpublish", "_selected_action": ids})
    assert set(Statement.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.DRAFT
    }
    admin_client.post(url, {"action": "publish", "_selected_action": ids})
    assert Statement.objects.published().count() == 4


def test_deleting_a_person_with_statements_is_refused_in_admin(admin_client, demo):
    person = Person.objects.get(slug="nenad-simic")
    url = admin_url(Person, "delete", person.pk)
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.context["protected"]
    admin_client.post(url, {"post": "yes"})
    assert Person.objects.filter(pk=person.pk).exists()


def test_timestamps_are_read_only(admin_client, demo):
    form = admin_client.get(admin_url(Statement, "change", Statement.objects.first().pk))
    fields = form.context["adminform"].form.fields
    assert "created_at" not in fields and "updated_at" not in fields
    page = form.content.decode()
    for label in ("Created at", "Updated at"):
        assert re.search(rf"<label>{label}:</label>\s*<div class=\"readonly\">[^<]+</div>", page)


def test_countries_cannot_be_edited_in_admin(admin_client):
    assert admin_client.get(admin_url(Country, "add")).status_code == 403
