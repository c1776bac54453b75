"""Reading the change feed: `/api/v1/changes/`, the record's changes as the client sees it.

Each row of the feed names an entry (changes/feed.py); this view reads the
entries of a page as the requesting client would read them from their own
lists (the resource's viewset: same queryset, same visibility, same
serializer) and answers `upsert` with that representation, or `delete` for
an entry that is gone or hidden from this client (a draft, a statement at a
draft event). So an anonymous mirror and an editor's mirror replaying the same
feed each end up equal to what their lists return.

An entry whose embargo ended (`publish_at`) appeared without a write: before
reading a page, the reader has the feed write its row again when one is due
(changes/feed.py, "Embargoes"), so a mirror whose cursor is past the entry's
first row meets it as an `upsert`.

A page is one range scan of the feed, one read of the feed's state (which also
tells whether an embargo ended since the feed last looked), plus one query per
resource present on it (at most one per resource, whatever the page size); the entries are read
as they stand when the page is read, which may be newer than the change that
put them there: a later change is then read again, further on.

With read replicas (ctht_api/db_router.py) a page, the feed's state and the
entries are read on one replica, which shows the primary as it was a moment
ago, in commit order: `last` is derived from what that replica returned, so a
lagging replica delays rows, never skips them (the router's docstring, "Lag").
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from changes import feed
from changes.models import Change, FeedState
from ctht_api.errors import PROBLEM_CONTENT_TYPE
from ctht_api.languages import LANG_PARAMETER, requested_languages
from ctht_api.pagination import requested_page_size
from ctht_api.params import StrictQueryParamsMixin
from ctht_api.schema import ACCEPT_LANGUAGE, LANG, ProblemSerializer


class FeedExpired(APIException):
    status_code = 410
    default_code = "feed_expired"
    default_detail = (
        "This cursor is older than the retained change feed (or from another database): "
        "re-sync from scratch (read the feed without `since`, or the lists), then resume "
        "from the new `last`."
    )


def cursor(epoch: str, seq: int, floor: int) -> str:
    """`<epoch>-<seq>`, or `<epoch>-<floor>-<seq>` when the floor is not 0.

    `floor`: its holder needs no tombstone numbered at or below it. A reader that
    starts from the beginning needs none of the tombstones that exist when it
    starts (it never held those entries), so its floor is the feed's highest
    number then; a reader that resumes keeps its floor, raised to how far the
    feed had been pruned. A cursor expires (410) only when a tombstone above
    both its number and its floor has been pruned, so a long first read, or one
    that passes live rows numbered below `pruned_through`, keeps working. A floor
    raised by hand only hides deletions from whoever raised it.
    """
    return f"{epoch}-{seq}" if floor == 0 else f"{epoch}-{floor}-{seq}"


CURSOR = re.compile(r"(?P<epoch>[0-9a-f]{1,16})-(?:(?P<floor>[0-9]{1,18})-)?(?P<seq>[0-9]{1,18})")


def read_cursor(raw: str) -> tuple[str, int, int]:
    """(epoch, seq, floor) of a `since`; 400 for what is not a cursor of any feed."""
    # An epoch is lowercase hex (`FeedState`): anything else (`<epoch>--1`, a typo) is not
    # a cursor of any feed, so a 400, not a 410 that would send the mirror to re-sync.
    match = CURSOR.fullmatch(raw) if raw.isascii() else None
    if match is None:
        raise ValidationError(
            {"since": [f"Not a cursor of this feed: {raw!r}. Use a `last` value it gave."]}
        )
    return match["epoch"], int(match["seq"]), int(match["floor"] or 0)


def check_cursor(epoch: str, seq: int, floor: int, state: FeedState) -> None:
    """410 for a cursor this feed no longer covers: another epoch, or a tombstone above
    it pruned since it was handed out. `state` must be read *after* the page: a prune
    that commits between the two is then seen here, rather than its deletion missed."""
    if epoch != state.epoch:
        raise FeedExpired(
            "This cursor is from another feed (the database was restored or rebuilt): "
            "re-sync from scratch, then resume from the new `last`."
        )
    if state.pruned_through > max(seq, floor):
        raise FeedExpired(
            f"This cursor is older than the retained change feed (deletions are kept "
            f"{settings.CHANGES_RETENTION_DAYS} days): re-sync from scratch, then resume "
            "from the new `last`."
        )


def page_of_changes(since: int, names: list[str], size: int) -> list[Change]:
    """The next `size + 1` rows after `since` of the resources `names`.

    All resources: a range scan of the primary key. One: of the (resource, seq)
    index. Several of them on PostgreSQL: one such range scan per resource, merged
    (`UNION ALL`), so that rows of other resources between the cursor and the page
    are not read and filtered out one by one (a million statements between two
    changes of events would be)."""
    after = Change.objects.filter(seq__gt=since).order_by("seq")
    if len(names) == len(feed.viewsets()):
        rows = after
    elif len(names) == 1 or connection.vendor != "postgresql":
        rows = after.filter(resource__in=names)
    else:
        parts = [after.filter(resource=name)[: size + 1] for name in names]
        rows = parts[0].union(*parts[1:], all=True).order_by("seq")
    return list(rows[: size + 1])


def requested_resources(raw: str | None) -> list[str]:
    known = sorted(feed.viewsets())
    if raw is None:
        return known
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if not names or unknown:
        raise ValidationError(
            {
                "resource": [
                    f"Unknown resource(s) {', '.join(map(repr, unknown or [raw]))}; use one or "
                    f"more of {', '.join(known)}, comma-separated."
                ]
            }
        )
    return sorted(set(names))


class ChangedEntrySerializer(PolymorphicProxySerializer):
    """For the schema only: one of the resources' representations, which one told by the
    entry's `resource`. Documented as `anyOf` (ctht_api.schema_extensions): the resources
    share most of their fields, so an entry often matches several and a `oneOf` would
    reject it."""


def changed_object_schema() -> PolymorphicProxySerializer:
    return ChangedEntrySerializer(
        component_name="ChangedEntry",
        serializers=lambda: [viewset.serializer_class for viewset in feed.viewsets().values()],
        resource_type_field_name=None,
        required=False,  # a `delete` has no object
    )


class ChangeFeedViewSet(StrictQueryParamsMixin, viewsets.GenericViewSet):
    """What changed in the record, in commit order, deletions included: for mirrors.

    Store `last` and pass it as `since` next time: every change committed after this
    answer comes after it. An entry appears once, at its latest change (a compacted log):
    `upsert` with its detail representation, as this client's lists show it, or
    `delete` when it was deleted or this client can no longer see it (unpublished, at an
    unpublished event, under embargo). An entry whose embargo (`publish_at`) ends is an
    `upsert` then, after every cursor handed out before, though no one edited it.
    Renaming an entry that others show in brief form (an institution, a person, an
    event, a document) is an `upsert` of each of them.

    With `lang` or `Accept-Language`, statements and topics carry `display` as in their
    own lists.
    """

    queryset = Change.objects.none()  # for the permission check; rows are read below
    pagination_class = None
    filter_backends: list = []
    extra_query_params = ("since", "resource", "page_size", LANG_PARAMETER)
    root_link = "The change feed for mirrors: every change in commit order, deletions included."

    @extend_schema(
        summary="Read the change feed",
        parameters=[
            OpenApiParameter(
                "since",
                str,
                description="A `last` cursor from an earlier answer: only changes after it. "
                "Without it, the feed from its beginning (every entry, at its latest change, "
                "and the deletions of the last `CHANGES_RETENTION_DAYS` days). A cursor "
                "older than the retained deletions, or from another database, is a 410: "
                "re-sync from scratch.",
            ),
            OpenApiParameter(
                "resource",
                str,
                description="Only these resources, comma-separated (`statements,events`).",
            ),
            OpenApiParameter(
                "page_size", int, description="Entries per page, 1 to 500; default 50."
            ),
            LANG,
            ACCEPT_LANGUAGE,
        ],
        responses={
            # One page object, although answered by `list` (drf-spectacular would make it
            # an array of pages).
            200: extend_schema_serializer(many=False)(
                inline_serializer(
                    "ChangeFeedPage",
                    fields={
                        "results": inline_serializer(
                            "ChangeFeedEntry",
                            many=True,
                            fields={
                                "seq": serializers.CharField(
                                    help_text="This change's cursor (resume after it with `since`)."
                                ),
                                "resource": serializers.CharField(
                                    help_text="The resource, as named in the API's root and its "
                                    "paths: `statements`, `events`, `people`, `institutions`, "
                                    "`positions`, `topics`, `programmes`, `documents`."
                                ),
                                "id": serializers.IntegerField(help_text="The entry's id."),
                                "action": serializers.ChoiceField(
                                    choices=["upsert", "delete"],
                                    help_text="`upsert`: store `object`; `delete`: remove the "
                                    "entry (deleted, or no longer visible to this client).",
                                ),
                                "at": serializers.DateTimeField(
                                    help_text="When the change was written (UTC)."
                                ),
                                "object": changed_object_schema(),  # not for a delete
                            },
                        ),
                        "next": serializers.URLField(
                            allow_null=True,
                            help_text="The next page, or null when this is the end.",
                        ),
                        "last": serializers.CharField(
                            help_text="Always present: pass it as `since` to resume after this "
                            "page (the `since` given, if the page is empty)."
                        ),
                    },
                )
            ),
            (410, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer,
                description="The cursor is older than the retained feed, or from another "
                "database: re-sync from scratch.",
            ),
        },
    )
    def list(self, request, *args, **kwargs):
        params = request.query_params
        requested_languages(request)  # a bad `lang` is a 400 before the page is read
        given = read_cursor(params["since"]) if "since" in params else None
        names = requested_resources(params.get("resource"))
        size = requested_page_size(request)
        if given is None:  # from the beginning: no tombstone that exists now is needed
            floor = Change.objects.aggregate(top=Max("seq"))["top"] or 0
            since = 0
        else:
            _, since, floor = given
        rows = page_of_changes(since, names, size)
        state = feed.read_state()  # after the page: see check_cursor
        if state.embargoes_due:  # entries appeared without a write (changes/feed.py)
            feed.record_ended_embargoes()
            rows = page_of_changes(since, names, size)
            state = feed.read_state()
        if given is not None:
            check_cursor(*given, state)
        more = len(rows) > size
        rows = rows[:size]
        objects = self.read_entries(rows)
        floor = max(floor, state.pruned_through)
        last = cursor(state.epoch, rows[-1].seq if rows else since, floor)
        results = []
        for row in rows:
            entry = objects.get((row.resource, row.object_id))
            results.append(
                {
                    "seq": cursor(state.epoch, row.seq, floor),
                    "resource": row.resource,
                    "id": row.object_id,
                    "action": "delete" if entry is None else "upsert",
                    "at": serializers.DateTimeField().to_representation(row.at),
                    **({} if entry is None else {"object": entry}),
                }
            )
        next_url = None
        if more:
            next_url = replace_query_param(request.build_absolute_uri(), "since", last)
        return Response({"results": results, "next": next_url, "last": last})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Accept-Language",))  # `display`, as in the lists
        return response

    def read_entries(self, rows: list[Change]) -> dict[tuple[str, int], dict]:
        """The live entries of a page as this client's lists show them, by (resource, id)."""
        wanted: dict[str, list[int]] = {}
        for row in rows:
            if not row.deleted:
                wanted.setdefault(row.resource, []).append(row.object_id)
        found = {}
        for resource, ids in wanted.items():
            view = feed.viewsets()[resource](
                request=self.request, format_kwarg=None, kwargs={}, action="retrieve"
            )
            queryset = view.get_queryset().filter(pk__in=ids)
            for data in view.get_serializer(queryset, many=True).data:
                found[(resource, data["id"])] = data
        return found
