"""Pagination: a strict `page_size` everywhere, keyset (cursor) pages for statements.

Both keep the contract's envelope `{"count"?, "next", "previous", "results"}`;
clients follow `next` until it is null. DRF silently falls back to the default
on `page_size=abc`; partners would then page through a different set than
they asked for, so it is a 400 here.

The default page size is DRF's `PAGE_SIZE` setting (ctht_api.settings), read
here rather than restated; the largest id a cursor may carry is the filters'
`MAX_ID`.
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from ctht_api.filters import MAX_ID

MAX_PAGE_SIZE = 500


def requested_page_size(request, param: str = "page_size") -> int:
    raw = request.query_params.get(param)
    if raw is None:
        return api_settings.PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError(
            {param: [f"Must be an integer from 1 to {MAX_PAGE_SIZE}; got {raw!r}."]},
            code="invalid",
        )
    return size


class StrictPageNumberPagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}`; `page_size` from 1 to 500, default 50.

    `page` that is not a whole number from 1 is a 400 naming it (DRF answers
    404 "Invalid page."); a page past the last is a 404 that says so.
    """

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_page_message = "There is no page {page_number}: the list ends before it."

    def get_page_size(self, request):
        return requested_page_size(request, self.page_size_query_param)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ValidationError(
                {self.page_query_param: [f"Must be a whole number from 1; got {raw!r}."]}
            )
        return int(raw)


class Row(Func):
    """A row value `(a, b)`, compared as a whole: `(key, id) < (%s, %s)` is one
    index range condition on PostgreSQL (and works on SQLite), where the
    equivalent OR of comparisons would make the planner scan from the top."""

    template = "(%(expressions)s)"
    output_field = models.Field()


def _bound(value):
    """A cursor's value as bound to SQL: an id as a 64-bit integer, as ids are (the ORM
    binds a bare integer as a 32-bit one on psycopg 3: on a prepared page, an id beyond
    2**31 - 1 would not be read as written)."""
    if isinstance(value, int):
        return Value(value, output_field=models.BigIntegerField())
    return value


@dataclass(frozen=True)
class Order:
    """One documented `ordering` value: the key it sorts by, and its direction."""

    key: object  # an expression; rows tie-break on id in the same direction
    descending: bool
    kind: str  # how the key travels in a cursor: "date", "datetime" or "id"


@dataclass(frozen=True)
class PageQuery:
    """What a page reads: the rows after `cursor` (none: from the start) in `ordering`
    (its name) and `order`, read `descending` or not (a `previous` link reads backwards),
    at most `limit` of them (the page size and one more, which tells whether another page
    follows)."""

    ordering: str
    order: Order
    cursor: dict | None  # {"k": key, "i": id, "r": reverse}, from `decode_cursor`
    descending: bool
    limit: int


class KeysetPagination(BasePagination):
    """Cursor pages: a deep page costs what the first page costs.

    The view gives `orderings` (name → `Order`) and `default_ordering`. Each
    page is `ORDER BY key, id LIMIT page_size + 1` after the cursor's row, an
    index range scan whatever the position. `count` is not computed unless
    asked for with `count=true` (a `COUNT(*)` over the whole filtered set
    would cost more than the page itself on a large record).

    A page is whatever the queryset yields, as long as each row has `pk` and
    `_key`: model instances, or the statements' JSON rows (events.statement_json).
    """

    cursor_query_param = "cursor"
    ordering_param = "ordering"
    count_param = "count"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        return self.paginate(
            request,
            view,
            lambda page: list(self.page_queryset(queryset, page)),
            count=queryset.count,
        )

    def paginate(self, request, view, fetch, *, count) -> list:
        """The page's rows as `fetch(page)` reads them for the `PageQuery` the request asks
        (at most `page.limit`, in its order), with the links and flags set; `count()`
        when the client asks for it. `paginate_queryset` reads them from a queryset
        (`page_queryset`); a caller may read the same rows by other means (events.views:
        a page by SQL compiled once per shape)."""
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = requested_page_size(request, self.page_size_query_param)
        ordering = self.requested_ordering(request, view)
        order = view.orderings[ordering]
        cursor = self.decode_cursor(request, order)
        reverse = bool(cursor and cursor["r"])

        self.count = count() if self.wants_count(request) else None

        descending = order.descending != reverse
        rows = fetch(PageQuery(ordering, order, cursor, descending, limit=self.page_size + 1))
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()
        self.order = order
        self.has_next = more if not reverse else True
        self.has_previous = bool(cursor) and (more if reverse else True)
        self.rows = rows
        return rows

    def page_queryset(self, queryset, page: "PageQuery"):
        """`queryset`'s rows of `page`: `ORDER BY key, id` after the cursor's row, `LIMIT`."""
        keyed = self.keyed(queryset, page.order, descending=page.descending)
        if page.cursor:
            compare = LessThan if page.descending else GreaterThan
            key, pk = (_bound(page.cursor[name]) for name in ("k", "i"))
            keyed = keyed.filter(compare(Row(page.order.key, F("id")), Row(key, pk)))
        return keyed[: page.limit]

    def query_parameters(self) -> set[str]:
        """The query parameters this paginator reads."""
        return {
            self.cursor_query_param,
            self.ordering_param,
            self.count_param,
            self.page_size_query_param,
        }

    def requested_ordering(self, request, view) -> str:
        """The name of the `ordering` asked for (the view's default without one); a 400
        names it when it is not one of the view's `orderings`."""
        orderings, default = view.orderings, view.default_ordering
        name = request.query_params.get(self.ordering_param) or default
        if name not in orderings:
            raise ValidationError(
                {self.ordering_param: [f"Must be one of {', '.join(orderings)}; got {name!r}."]}
            )
        return name

    @staticmethod
    def keyed(queryset, order: Order, *, descending: bool):
        """`ORDER BY key, id`, both in one direction, with the key kept as `_key`."""
        return queryset.annotate(_key=order.key).order_by(
            F("_key").desc() if descending else F("_key").asc(),
            "-id" if descending else "id",
        )

    def order_queryset(self, queryset, request, view):
        """Every row, in the order of the pages: for a whole-list download
        (ctht_api.csv_export), which reads past any page."""
        order = view.orderings[self.requested_ordering(request, view)]
        return self.keyed(queryset, order, descending=order.descending)

    def wants_count(self, request) -> bool:
        raw = request.query_params.get(self.count_param)
        if raw is None or raw in {"0", "false"}:
            return False
        if raw in {"1", "true"}:
            return True
        raise ValidationError({self.count_param: [f"Must be true or false; got {raw!r}."]})

    def get_paginated_response(self, data):
        body = {} if self.count is None else {"count": self.count}
        body.update(next=self.get_next_link(), previous=self.get_previous_link(), results=data)
        return Response(body)

    def get_next_link(self):
        if not (self.has_next and self.rows):
            return None
        return self.link(self.rows[-1], reverse=False)

    def get_previous_link(self):
        if not (self.has_previous and self.rows):
            return None
        return self.link(self.rows[0], reverse=True)

    def link(self, row, *, reverse: bool) -> str:
        key = row._key
        if isinstance(key, datetime.date | datetime.datetime):
            key = key.isoformat()
        token = json.dumps({"k": key, "i": row.pk, "r": reverse}, separators=(",", ":"))
        encoded = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
        return replace_query_param(
            remove_query_param(self.base_url, self.count_param), self.cursor_query_param, encoded
        )

    def decode_cursor(self, request, order: Order) -> dict | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        try:
            token = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            key, pk, reverse = token["k"], int(token["i"]), bool(token["r"])
            if order.kind == "date":
                key = datetime.date.fromisoformat(key)
            elif order.kind == "datetime":
                key = datetime.datetime.fromisoformat(key)
                if settings.USE_TZ and timezone.is_naive(key):  # as the ORM reads it, unwarned
                    key = timezone.make_aware(key)
            else:
                key = int(key)
            # A forged id beyond the column's range cannot be a row, nor be bound in SQLite.
            if not all(-MAX_ID <= n <= MAX_ID for n in (pk, key) if isinstance(n, int)):
                raise ValueError("id out of range")
        except (
            ValueError,
            TypeError,
            KeyError,
            OverflowError,
            RecursionError,
            binascii.Error,
            UnicodeDecodeError,
        ):
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        "Invalid cursor: follow the `next` and `previous` links."
                    ]
                }
            ) from None
        return {"k": key, "i": pk, "r": reverse}

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": "Only with `count=true`: the number of matching entries.",
                },
                "next": {"type": "string", "format": "uri", "nullable": True},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        names = ", ".join(f"`{n}`" for n in view.orderings)
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Position in the list; take it from the `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Entries per page, 1 to {MAX_PAGE_SIZE} "
                f"(default {api_settings.PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": f"Sort order, one of {names} (`-` for descending; ties broken by "
                f"id; unknown dates sort as the oldest). Default `{view.default_ordering}`.",
                "schema": {"type": "string", "enum": list(view.orderings)},
            },
            {
                "name": self.count_param,
                "required": False,
                "in": "query",
                "description": "`true` adds `count`, the number of matching entries (costly on "
                "large lists; omitted by default).",
                "schema": {"type": "boolean"},
            },
        ]
