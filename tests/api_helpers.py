"""Helpers shared by the REST API tests of every app."""

from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    """An API client authenticated as `user` (None: anonymous)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def url(resource, pk=None, action=None) -> str:
    """`/api/v1/<resource>/[<pk>/][<action>/]`."""
    return (
        f"/api/v1/{resource}/"
        + (f"{pk}/" if pk else "")
        + (f"{action}/" if action else "")
    )


def stale_patch(client, path, fresh, stale):
    """Read `path`'s ETag, PATCH `fresh` with it (must succeed), then PATCH
    `stale` with the same, now stale, ETag; returns that last response."""
    etag = client.get(path)["ETag"]
    response = client.patch(path, fresh, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    return client.patch(path, stale, format="json", HTTP_IF_MATCH=etag)


def ids(response) -> set[int]:
    """The ids of a page of results."""
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def assert_error(response, status, code=None, field=None) -> dict:
    """The response is `status` in the API's one error format."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if code:
        assert error["code"] == code
    if field:
        assert field in error["fields"]
    return error
