"""`OPTIONS` describes an entry's write form without writing, so it locks nothing."""

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_token
from tests.factories import TopicFactory


# Outside a test transaction, as in production.
@pytest.mark.django_db(transaction=True)
def test_options_on_an_entry_with_a_write_key_describes_the_put_form(countries):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(username='ed', write=True)}")
    topic = TopicFactory()

    response = client.options(f"/api/v1/topics/{topic.pk}/")

    assert response.status_code == 200
    assert "name" in response.json()["actions"]["PUT"]


@pytest.mark.django_db
def test_a_nested_list_under_an_entry_the_client_cannot_see_is_a_404_before_anything_else(
    settings,
):
    """The parent is checked with the permissions (events.views.ScopedStatementViewSet),
    before throttling, the public cache's 304 and OPTIONS' description: a read no longer
    builds the queryset in DRF's model-permission check, which used to raise it."""
    from ctht_api.models import Status
    from tests.factories import EventFactory

    settings.RATE_LIMIT_ANON = "1/min"
    path = f"/api/v1/events/{EventFactory(status=Status.DRAFT).pk}/statements/"
    client = APIClient()
    assert client.options(path).status_code == 404
    for _ in range(3):  # over the anonymous budget: still 404, never 429
        assert client.get(path).status_code == 404
    assert client.get(path, HTTP_IF_NONE_MATCH="*").status_code == 404
