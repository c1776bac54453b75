"""A parent chain never loops: programmes and institutions refuse A→B→A, in the API and admin.

Both models call the one rule, `ctht_api.models.clean_parent_chain`.
"""

import pytest
from django.urls import reverse

from events.models import Programme
from people.models import Institution
from tests.api.helpers import API, assert_problem
from tests.factories import InstitutionFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def test_programme_whose_child_is_chosen_as_parent_is_400_naming_parent(writer):
    a = ProgrammeFactory(name="Horizontal Facility")
    b = ProgrammeFactory(name="Action on trafficking", parent=a)

    response = writer.patch(f"{API}programmes/{a.pk}/", {"parent": b.pk}, format="json")

    body = assert_problem(response, 400, "parent")
    assert "Action on trafficking" in str(body["errors"])
    a.refresh_from_db()
    assert a.parent is None


def test_programme_loop_of_three_is_400_naming_parent(writer):
    a = ProgrammeFactory()
    b = ProgrammeFactory(parent=a)
    c = ProgrammeFactory(parent=b)

    response = writer.patch(f"{API}programmes/{a.pk}/", {"parent": c.pk}, format="json")

    assert_problem(response, 400, "parent")


def test_programme_cannot_be_its_own_parent(writer):
    a = ProgrammeFactory()

    response = writer.patch(f"{API}programmes/{a.pk}/", {"parent": a.pk}, format="json")

    assert_problem(response, 400, "parent")


def test_programme_may_move_to_another_branch(writer):
    root, other = ProgrammeFactory(), ProgrammeFactory()
    child = ProgrammeFactory(parent=root)

    response = writer.patch(f"{API}programmes/{child.pk}/", {"parent": other.pk}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["parent"]["id"] == other.pk


def test_a_loop_stored_before_the_rule_does_not_hang_the_check(writer):
    """Rows written around the model (a shell, an old import) may loop already."""
    a, b = ProgrammeFactory(), ProgrammeFactory()
    Programme.objects.filter(pk=a.pk).update(parent=b)
    Programme.objects.filter(pk=b.pk).update(parent=a)
    c = ProgrammeFactory()

    response = writer.patch(f"{API}programmes/{c.pk}/", {"parent": a.pk}, format="json")

    assert response.status_code == 200, response.content


def test_institution_whose_child_is_chosen_as_parent_is_400_naming_parent(writer):
    ministry = InstitutionFactory()
    office = InstitutionFactory(parent=ministry)

    response = writer.patch(
        f"{API}institutions/{ministry.pk}/", {"parent": office.pk}, format="json"
    )

    assert_problem(response, 400, "parent")


def test_programme_admin_form_refuses_a_loop(admin_client):
    a = ProgrammeFactory(name="Horizontal Facility")
    b = ProgrammeFactory(name="Action on trafficking", parent=a)
    url = reverse("admin:events_programme_change", args=[a.pk])
    data = {"name": a.name, "slug": a.slug, "parent": b.pk, "seen_version": a.version}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    a.refresh_from_db()
    assert a.parent is None


def test_institution_admin_form_refuses_a_loop(admin_client):
    ministry = InstitutionFactory()
    office = InstitutionFactory(parent=ministry)
    url = reverse("admin:people_institution_change", args=[ministry.pk])
    data = {
        "name": ministry.name,
        "slug": ministry.slug,
        "kind": ministry.kind,
        "parent": office.pk,
        "seen_version": ministry.version,
        "positions-TOTAL_FORMS": "0",
        "positions-INITIAL_FORMS": "0",
        "positions-MIN_NUM_FORMS": "0",
        "positions-MAX_NUM_FORMS": "1000",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert Institution.objects.get(pk=ministry.pk).parent is None
