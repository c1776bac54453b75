"""Other names (Popolo's `other_names`) of people, institutions, positions, programmes and
events: how a record's list of them is read in one query, checked and written.

The list is part of its owner, as a statement's translations are part of the
statement: the API reads and writes it inside the owner's representation
(`other_names: [{"name", "language", "note"}]`), and a write of the list is a
write of the owner (ctht_api.models.OtherNameBase.touch_owner: one version, one
history record, one change-feed row for the owner). Each other-name row keeps a
history of its own too (they are audited models).

`OTHER_NAMES` (a ctht_api.owned_lists.OwnedList) reads, checks and writes them:
`with_other_names` adds the list to a queryset as a JSON array
(`other_name_list`, ctht_api.aggregates), so a list page stays one query; its
`errors` checks a list the way the models would refuse it, one entry per item,
so that the API names `other_names.<i>.<field>`; its `replace` makes the stored
list equal to the one given (a row is known by its name and language, a
changed note is saved).

They are searched by `q` and the admin's search boxes (ctht_api.search, the
`other_names` argument of `search`), not by a statement's `q`: a statement's
stored search document holds its speaker's name, not the speaker's other names
(including them would mean refreshing every statement of a person at each
change of one of their names).
"""

from django.db import models
from django.db.models import QuerySet

from ctht_api.audit import snapshot_history
from ctht_api.owned_lists import OwnedList

GIVEN_TWICE = "This name is listed twice in this language."
OTHER_NAMES = OwnedList(
    relation="other_names",
    fields=("name", "language", "note"),
    key=("name", "language"),
    order=("language", "name"),
    annotation="other_name_list",
    given_twice=GIVEN_TWICE,
    defaults={"language": "", "note": ""},
)


def with_other_names(queryset: QuerySet) -> QuerySet:
    """`queryset` with each entry's other names as `other_name_list`, a JSON array."""
    return OTHER_NAMES.annotate(queryset)


def other_name_rows(owner: models.Model) -> list[dict]:
    """`owner`'s other names as the API shows them: by language tag, then name."""
    return OTHER_NAMES.rows(owner)


# The history base of an owner of other names: each version records them (ctht_api.audit).
OtherNamesHistory = snapshot_history("other_names", other_name_rows, what="other names")
