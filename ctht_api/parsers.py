"""The API's JSON parser: every body it cannot read is a 400, whatever the reason.

DRF's parser turns a syntax error into a 400 but lets JSON nested deeper than
Python's recursion limit through as a `RecursionError`, a 500.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """JSONParser that answers 400 for over-deep nesting too."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
