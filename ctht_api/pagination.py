"""Page-number pagination that refuses a bad `page_size` instead of ignoring it."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}`; `page_size` from 1 to 500, default 50.

    DRF silently falls back to the default on `page_size=abc`; partners would
    then page through a different set than they asked for, so it is a 400 here.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Must be an integer from 1 to {self.max_page_size}; got {raw!r}."
                    ]
                },
                code="invalid",
            )
        return size
