"""The viewset every resource of the record uses: CRUD, ETags, atomic audited writes, history,
strict query parameters."""

from rest_framework import viewsets

from ctht_api.concurrency import ConditionalWritesMixin
from ctht_api.csv_export import CSVListMixin
from ctht_api.history import HistoryMixin
from ctht_api.params import StrictQueryParamsMixin
from ctht_api.public_cache import PublicDetailCacheMixin


class RecordViewSet(
    PublicDetailCacheMixin,
    StrictQueryParamsMixin,
    CSVListMixin,
    HistoryMixin,
    ConditionalWritesMixin,
    viewsets.ModelViewSet,
):
    """List, read, create, replace, update and delete entries of one model of the record.

    See ctht_api.concurrency (ETag, If-Match, one transaction per write),
    ctht_api.history (`{id}/history/`), ctht_api.csv_export (the list as CSV),
    ctht_api.params (unknown query parameters are a 400, checked before
    anything else) and ctht_api.public_cache (public answers: the record's
    version as ETag, 304s, cached bytes).
    """
