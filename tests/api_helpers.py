"""Helpers shared by the REST API tests of every app."""


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
