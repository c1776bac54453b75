"""`country=` reads codes in any case on every list that has it (people.filters.CountryFilter)."""

import pytest

from tests.api.helpers import API, all_ids, assert_problem

pytestmark = pytest.mark.django_db

LISTS_WITH_COUNTRY = ["statements", "events", "institutions", "positions"]


@pytest.mark.parametrize("resource", LISTS_WITH_COUNTRY)
def test_lower_case_codes_filter_like_upper_case(anon, demo, resource):
    upper = all_ids(anon, f"{API}{resource}/", {"country": "RS,BA"})
    assert upper, "the demo has entries for RS or BA"
    assert all_ids(anon, f"{API}{resource}/", {"country": "rs,Ba"}) == upper
    assert all_ids(anon, f"{API}{resource}/", {"country": " rs , ba "}) == upper


@pytest.mark.parametrize("resource", LISTS_WITH_COUNTRY)
def test_a_lower_case_code_is_not_ignored(anon, demo, resource):
    assert all_ids(anon, f"{API}{resource}/")
    assert all_ids(anon, f"{API}{resource}/", {"country": "fr"}) == []


@pytest.mark.parametrize("resource", LISTS_WITH_COUNTRY)
def test_an_unknown_code_is_a_400_naming_country_in_upper_case(anon, demo, resource):
    problem = assert_problem(anon.get(f"{API}{resource}/", {"country": "rs,zz"}), 400, "country")
    assert "ZZ" in str(problem["errors"])
