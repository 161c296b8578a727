"""The OpenAPI schema class (settings: DEFAULT_SCHEMA_CLASS). Kept apart from
`base` because drf-spectacular imports DRF's generic views, which read the
pagination setting that points at `base`."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from consortium.api.base import ErrorSerializer


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, with every operation's error responses (in
    the one error format) described."""

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        codes = {
            401: "Not logged in: send `Authorization: Token <key>`.",
            403: "Your role may not do this.",
        }
        if self.method in ("POST", "PUT", "PATCH"):
            codes[400] = "Invalid input: unknown fields, wrong types, broken rules."
        if "{" in self.path:
            codes[404] = "No such row, or not in your scope."
        if self.method in ("PUT", "PATCH", "DELETE") and "{" in self.path:
            codes[412] = "`If-Match` names a stale version."
        if self.method == "DELETE":
            codes[409] = "The row is still in use."
        for code, description in codes.items():
            bodies.setdefault(
                str(code),
                self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description),
                    str(code),
                ),
            )
        return bodies
