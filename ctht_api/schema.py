"""OpenAPI generation: drf-spectacular's AutoSchema, completed for partners reading the docs.

Every operation gets a summary made from its action and model ("Retrieve a
statement", "List statements of an event"), a description made from the
viewset's docstring plus who may call it, and its error responses as
`application/problem+json` documents (the `Problem` component, see
`ctht_api.errors`). An explicit `@extend_schema(...)` on a view still wins.

Most of this uses drf-spectacular's documented extension points: the public
`AutoSchema` hooks (`get_summary`, `get_description`,
`get_override_parameters`, `get_auth`), postprocessing hooks (below, named in
`SPECTACULAR_SETTINGS`), and the extensions in `ctht_api.schema_extensions`.
Two overrides of private methods remain, because no documented point can do
their work:

- `_get_response_bodies` adds the 304 and the problem responses, and gives a
  list's `text/csv` answer (ctht_api.csv_export) a string schema naming its
  columns in place of the JSON page drf-spectacular puts there. The public
  `get_response_serializers()` is also what drf-spectacular reads to decide
  whether a view is a list (pagination, operation ids), so returning the
  errors from there turns every operation into a status dictionary and breaks
  that detection; a postprocessing hook would have to rebuild the `Problem`
  component and the response headers by hand.
- `_map_basic_serializer` describes a resource by its model's docstring. The
  documented way is a docstring or `@extend_schema_serializer` on each
  serializer, which would write every model's description a second time. It
  also leaves `display` (present only when the client names a language) out of
  `required`, where drf-spectacular puts every read-only field.
"""

import re

from django.apps import apps
from django.db import models
from drf_spectacular.drainage import get_override
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.renderers import BrowsableAPIRenderer

from ctht_api.concurrency import REASON_MAX_LENGTH, ConditionalWritesMixin
from ctht_api.csv_export import CSVRenderer, csv_schema
from ctht_api.errors import PROBLEM_CONTENT_TYPE
from ctht_api.languages import LANG_PARAMETER, MAX_LANGUAGES, DisplayLanguageMixin
from ctht_api.models import PublishableModel
from ctht_api.params import format_parameter
from ctht_api.public_cache import PublicAnswerCacheMixin
from ctht_api.schema_extensions import view_model  # also registers the extensions


class ProblemErrorSerializer(serializers.Serializer):
    """One offending field or query parameter of a request."""

    field = serializers.CharField(
        allow_null=True,
        help_text="The field or query parameter as the client sent it "
        "(`translations.0.language`); null when the error concerns the whole request.",
    )
    code = serializers.CharField(help_text="Machine-readable reason (`required`, `invalid`, …).")
    message = serializers.CharField(help_text="Human-readable reason.")


class ProblemSerializer(serializers.Serializer):
    """An error, as RFC 9457 problem details."""

    type = serializers.URLField(help_text="Identifies the kind of problem.")
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong with this request.")
    errors = ProblemErrorSerializer(
        many=True, required=False, help_text="Validation errors only: one entry per problem."
    )


SUMMARIES = {
    "list": "List {plural}",
    "retrieve": "Retrieve {one}",
    "create": "Create {one}",
    "update": "Replace {one}",
    "partial_update": "Update part of {one}",
    "destroy": "Delete {one}",
}

BODY_METHODS = {"POST", "PUT", "PATCH"}
WRITE_METHODS = BODY_METHODS | {"DELETE"}
ENTRY_WRITES = {"update", "partial_update", "destroy"}

ETAG_HEADER = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201, 304],
    description='A strong tag. Editors and write keys get the entry\'s version (`"v3"`; '
    '`"v3-sr-Latn"` for the entry shown with `display` in that language): send it back in '
    "`If-None-Match` to revalidate, in `If-Match` to write (any language variant of the "
    "version will do). Anonymous clients and read-only keys reading an entry get the "
    'record\'s version (`"r…"`, moved by any change of the record, including a related '
    "entry's name shown here), to revalidate only: `If-Match` refuses it.",
)
LIST_ETAG_HEADER = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 304],
    description='For anonymous clients and read-only keys: the record\'s version (`"r…"`) '
    "and this representation; send it back in `If-None-Match` to revalidate the page. "
    "Absent for editors, and when the server sets `API_RESPONSE_CACHE=off`.",
)
LANG = OpenApiParameter(
    LANG_PARAMETER,
    str,
    description="The languages you read, most wanted first: BCP 47 tags, comma-separated "
    f"(`sr-Latn,en`; at most {MAX_LANGUAGES}). Each entry then carries `display`, its words "
    "in the best matching language (RFC 4647 lookup; `sr` finds `sr-Latn` and `sr-Cyrl`; "
    "`sr-Latn` with only Cyrillic stored is transliterated, `kind` `machine`), else the "
    "original. Wins over `Accept-Language`; empty: no `display`. A tag that is not BCP 47 "
    "is a 400 naming `lang`.",
)
ACCEPT_LANGUAGE = OpenApiParameter(
    "Accept-Language",
    str,
    OpenApiParameter.HEADER,
    description="Read when `lang` is not given, quality values honoured (`fr;q=0.3, "
    "sr;q=0.8` prefers Serbian); `*` and `q=0` are ignored, and so is a malformed header. "
    "Answers say `Vary: Accept-Language`.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag you hold: if the answer has not changed, it is a bodiless 304.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag of the version you read (recommended; required when the server "
    "sets `API_REQUIRE_IF_MATCH`): if the entry has changed since, the write is refused "
    "with 412 and nothing changes.",
)
CHANGE_REASON = OpenApiParameter(
    "X-Change-Reason",
    str,
    OpenApiParameter.HEADER,
    description=f"Why you make this change (UTF-8, at most {REASON_MAX_LENGTH} characters); "
    "kept in the entry's history with your username.",
)


def scope_model(variable: str) -> type[models.Model] | None:
    """The model a URL variable such as `event_pk` or `country_code` points to."""
    name = re.sub(r"_(pk|id|code)$", "", variable)
    return next((m for m in apps.get_models() if m._meta.model_name == name), None)


def not_found(model: type[models.Model] | None) -> str:
    if model is None:
        return "Nothing at this URL"
    noun = model._meta.verbose_name
    if issubclass(model, PublishableModel):
        return f"No such {noun}, or a draft hidden from anonymous clients"
    return f"No such {noun}"


def has_protected_dependents(model: type[models.Model] | None) -> bool:
    """Whether deleting a row can be refused (409) because others refer to it."""
    if model is None:
        return False
    return any(
        relation.on_delete in (models.PROTECT, models.RESTRICT)
        for relation in model._meta.related_objects
        if relation.on_delete is not None
    )


def with_article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


class ProblemAwareAutoSchema(AutoSchema):
    """AutoSchema with generated summaries, access notes and problem+json error responses."""

    def get_summary(self) -> str | None:
        model = view_model(self.view)
        action = getattr(self.view, "action", None)
        if model is None or action not in SUMMARIES:
            return super().get_summary()
        opts = model._meta
        summary = SUMMARIES[action].format(
            plural=opts.verbose_name_plural, one=with_article(str(opts.verbose_name))
        )
        parent = self.scope_parent() if action == "list" else None
        if parent is None:
            return summary
        # A statement concerns several countries (many-to-many) but is *of* one event.
        many = any(f.many_to_many and f.related_model is parent for f in opts.get_fields())
        noun = with_article(str(parent._meta.verbose_name))
        return f"{summary} {'concerning' if many else 'of'} {noun}"

    def scope_parent(self) -> type[models.Model] | None:
        """For a nested list (`/events/{event_pk}/statements/`), the model it is limited to."""
        parents = [scope_model(variable) for variable in self.path_variables()]
        return next((p for p in reversed(parents) if p is not None), None)

    def path_variables(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    def get_description(self) -> str:
        doc = super().get_description()  # the action's docstring, else the viewset's
        if self.method in WRITE_METHODS:
            doc = doc.split("\n\n")[0]
        return "\n\n".join(part for part in (doc, self._csv_note(), self._access_note()) if part)

    def offers_csv(self) -> bool:
        return CSVRenderer.media_type in self.map_renderers("media_type")

    def _csv_note(self) -> str:
        if not self.offers_csv():
            return ""
        return (
            "**CSV:** `?format=csv` or `Accept: text/csv` answers every matching entry at "
            "once, streamed, with the same filters and order (paging parameters do not "
            "apply); the `text/csv` response below lists its columns."
        )

    def _access_note(self) -> str:
        model = view_model(self.view)
        if self.method in permissions.SAFE_METHODS:
            if model is not None and issubclass(model, PublishableModel):
                return (
                    "**Access:** no credentials needed; anonymous clients see published "
                    "entries only."
                )
            return "**Access:** no credentials needed."
        required = [
            f"`{perm}`"
            for permission in self.view.get_permissions()
            if model is not None and hasattr(permission, "get_required_permissions")
            for perm in permission.get_required_permissions(self.method, model)
        ]
        holding = f" holding the {', '.join(required)} permission" if required else ""
        return (
            f"**Access:** needs `Authorization: Token <key>` with a write-enabled token "
            f"of a user{holding}."
        )

    def get_override_parameters(self):
        """`format` (first, so that a view's own `@extend_schema` declaration of it wins),
        and the conditional-request headers of ctht_api.concurrency, where they apply."""
        parameters = [*self.format_parameters(), *super().get_override_parameters()]
        if isinstance(self.view, DisplayLanguageMixin) and self.view.shows_display():
            parameters += [LANG, ACCEPT_LANGUAGE]
        action = getattr(self.view, "action", None)
        if action == "list" and isinstance(self.view, PublicAnswerCacheMixin):
            parameters += [IF_NONE_MATCH, LIST_ETAG_HEADER]
        if not isinstance(self.view, ConditionalWritesMixin) or action == "history":
            return parameters
        if action == "retrieve":
            parameters += [IF_NONE_MATCH, ETAG_HEADER]
        elif action in ENTRY_WRITES:
            parameters += [IF_MATCH, CHANGE_REASON]
            if action != "destroy":
                parameters.append(ETAG_HEADER)
        elif action == "create":
            parameters += [CHANGE_REASON, ETAG_HEADER]
        return parameters

    def format_parameters(self) -> list[OpenApiParameter]:
        """`format`, which every view reads (ctht_api.params): an enum of the renderers
        whose answers the document describes. The browsable API's `api`, an HTML page
        for people, is accepted but left out, as drf-spectacular leaves it out of the
        responses."""
        name = format_parameter()
        formats = self.map_renderers("format")
        if not name or not formats:
            return []
        listed = ", ".join(f"`{value}`" for value in formats)
        browsable = any(isinstance(r, BrowsableAPIRenderer) for r in self.view.get_renderers())
        return [
            OpenApiParameter(
                name,
                str,
                enum=formats,
                description="The representation to answer with, in place of the `Accept` "
                + (f"header: {listed} (default `{formats[0]}`)." if formats[1:] else "header.")
                + (" `api` gives the browsable HTML page, for people." if browsable else "")
                + (
                    " `csv`: every matching entry at once, as CSV (see the `text/csv` response)."
                    if self.offers_csv()
                    else ""
                )
                + " Any other value is a 400 naming `format`.",
            )
        ]

    def get_auth(self):
        """Reads are open to anonymous clients too: say so with the empty requirement `{}`."""
        auth = super().get_auth()
        anonymous_reads = any(
            isinstance(p, permissions.DjangoModelPermissionsOrAnonReadOnly)
            for p in self.view.get_permissions()
        )
        if self.method in permissions.SAFE_METHODS and anonymous_reads and {} not in auth:
            auth.append({})
        return auth

    def _map_basic_serializer(self, serializer, direction):
        """Describe a resource by its model's docstring unless its serializer has its own."""
        schema = super()._map_basic_serializer(serializer, direction)
        optional = {  # read-only, yet not always there (`display`, ctht_api.languages)
            name
            for name, field in getattr(serializer, "fields", {}).items()
            if getattr(field, "omitted_unless_asked", False)
        }
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
        cls = serializer if isinstance(serializer, type) else serializer.__class__
        model = getattr(getattr(cls, "Meta", None), "model", None)
        if get_override(serializer, "description") or vars(cls).get("__doc__") or model is None:
            return schema
        schema.pop("description", None)
        if vars(model).get("__doc__"):
            schema["description"] = get_doc(model)
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        content = responses.get("200", {}).get("content", {})
        if CSVRenderer.media_type in content:  # a list: CSV is its rows, not the JSON page
            own = getattr(self.view, "csv_response_schema", None)  # rows that are not entries
            schema = own() if own is not None else csv_schema(self._get_serializer())
            content[CSVRenderer.media_type] = {"schema": schema}
        action = getattr(self.view, "action", None)
        if (action == "retrieve" and isinstance(self.view, ConditionalWritesMixin)) or (
            action == "list" and isinstance(self.view, PublicAnswerCacheMixin)
        ):
            responses["304"] = {
                "description": "Not modified: `If-None-Match` holds the current ETag.",
                "headers": self._get_response_headers_for_code("304"),
            }
        for status, description in self.error_responses().items():
            responses.setdefault(
                str(status),
                self._get_response_for_code(
                    OpenApiResponse(ProblemSerializer, description=description),
                    str(status),
                    media_types=[PROBLEM_CONTENT_TYPE],
                ),
            )
        return responses

    def error_responses(self) -> dict[int, str]:
        """The errors this operation can answer with, each with when it happens."""
        errors = {}
        if self.method == "GET" and self._is_list_view():
            errors[400] = (
                "A filter or paging parameter is invalid, or a query parameter is unknown; "
                "`errors` names it."
            )
            parent = self.scope_parent()
            if parent is not None:
                errors[404] = f"{not_found(parent)}, or no such page."
            elif self.view.pagination_class is not None:  # unpaged answers have no page 404
                errors[404] = "No such page."
        elif self.path_variables():
            errors[404] = f"{not_found(view_model(self.view))}."
        if self.method in BODY_METHODS:
            errors[400] = (
                "Malformed JSON, invalid data, or an unknown query parameter; `errors` names "
                "each offending field."
            )
        if self.method in WRITE_METHODS:
            errors.setdefault(
                400,
                "`X-Change-Reason` is invalid, or a query parameter is unknown; `errors` names it.",
            )
            errors[401] = "No credentials, or an unknown, expired or revoked token."
            errors[403] = (
                "The token is read-only, or its user lacks the model permission this needs."
            )
        if self.method == "DELETE" and has_protected_dependents(view_model(self.view)):
            errors[409] = "Other entries still refer to this one; `detail` names them."
        action = getattr(self.view, "action", None)
        if action in ENTRY_WRITES and isinstance(self.view, ConditionalWritesMixin):
            errors[412] = "`If-Match` names an older version: the entry changed since you read it."
            errors[428] = "`If-Match` is missing and this server requires it."
        if action == "history":
            errors[401] = "No credentials, or an unknown, expired or revoked token."
            errors[403] = "Only editors may read the history."
            errors[404] = "No entry with this id has ever existed."
        if self.offers_csv():
            types = ", ".join(f"`{name}`" for name in self.map_renderers("media_type"))
            errors[406] = f"`Accept` names no type this list answers with ({types})."
        if self.method in BODY_METHODS:
            errors[413] = "The request body is over the size limit."
            errors[415] = "The request body is not `application/json`."
        errors.setdefault(
            400,
            "A query parameter is unknown, or `format` names no representation; `errors` names it.",
        )
        if self.view.get_throttles():
            errors[429] = "Too many requests; retry after `Retry-After` seconds."
        return dict(sorted(errors.items()))


BLANK_STRING = {"type": "string", "maxLength": 0}


def blank_or_format_as_any_of(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: a field that may be blank is "this format, or empty", as `anyOf`.

    drf-spectacular writes a blank-allowed URL field as `oneOf: [{format: uri},
    {maxLength: 0}]`. `format` is an annotation most validators do not check,
    so `""` matches both branches and a `oneOf` rejects it: a client generated
    from the document refuses every entry without a website. `anyOf` says the
    same thing without requiring exactly one match.
    """

    def visit(node):
        if isinstance(node, dict):
            if BLANK_STRING in node.get("oneOf", []):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(result)
    return result


def describe_scope_parameters(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: a nested list's parent key (`event_pk`, `country_code`) says
    what it points to, and an id is typed as an integer rather than a digit pattern."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                parent = scope_model(parameter["name"])
                if parameter["in"] != "path" or parent is None or parameter.get("description"):
                    continue
                noun = parent._meta.verbose_name
                if parameter["schema"].get("pattern") == "^[0-9]+$":
                    parameter["schema"] = {"type": "integer"}
                    parameter["description"] = f"Id of the {noun}."
                else:
                    parameter["description"] = f"Code of the {noun}."
    return result
