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
