"""Assertions on what a client sees, shared by the API tests."""

from datetime import datetime
from urllib.parse import urlencode

from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory
from rest_framework.test import APIClient

API = "http://testserver/api/v1/"


def results(response) -> list[dict]:
    """The entries of a 200 list page."""
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(response) -> list[int]:
    """The ids of a 200 list page, in order."""
    return [item["id"] for item in results(response)]


def all_ids(client: APIClient, url: str, params: dict | None = None) -> list[int]:
    """Every id of a list, following `next` until it is null."""
    response = client.get(url, params or {})
    found = ids(response)
    while response.json()["next"]:
        response = client.get(response.json()["next"])
        found += ids(response)
    return found


def assert_problem(response, status: int, *fields: str) -> dict:
    """The response is an RFC 9457 problem with `status`, naming each of `fields`."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status
    assert body["detail"]
    if fields:
        named = {error["field"] for error in body["errors"]}
        assert set(fields) <= named, body
    return body


def assert_timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp with a zone."""
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None, value
    return moment


def served(method: str, path: str, params: dict | None = None) -> tuple[str, dict, bytes]:
    """What a WSGI server gets (Django's handler, as gunicorn calls it): the status, the
    headers and every byte of the body, which a server reads whole, even for HEAD. Unlike
    the test client, the handler starts and ends each request as a server does (Django's
    per-request connection handling included)."""
    environ = RequestFactory().generic(method, f"{path}?{urlencode(params or {})}").environ
    answer: list = []
    body = WSGIHandler()(environ, lambda status, headers: answer.extend([status, dict(headers)]))
    try:
        content = b"".join(body)
    finally:
        body.close()
    return answer[0], answer[1], content
