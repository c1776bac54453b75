"""Dates before year 1000 keep four digits (YYYY-MM-DD), as the document says (found by fuzzing)."""

import pytest

from tests.api.helpers import API

pytestmark = pytest.mark.django_db


def test_a_date_before_year_1000_is_answered_with_four_digit_year(writer):
    response = writer.post(
        API + "documents/",
        {"title": "Charter", "kind": "report", "date": "0875-09-23"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["date"] == "0875-09-23"
    assert writer.get(response.json()["url"]).json()["date"] == "0875-09-23"
