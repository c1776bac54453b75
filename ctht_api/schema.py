"""OpenAPI generation: drf-spectacular's AutoSchema, declaring the problem responses."""

from drf_spectacular.openapi import AutoSchema


class ProblemAwareAutoSchema(AutoSchema):
    """AutoSchema that will declare each operation's error responses."""
