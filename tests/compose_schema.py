"""Validate a Compose file against the vendored Compose Specification JSON Schema.

Usable without a Docker engine, as a module (``validate(path)``) or a script::

    python tests/compose_schema.py docker-compose.yml
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "compose-spec.json"


@cache
def _schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


def _validator_class(schema: dict[str, Any]) -> type[Validator]:
    """The validator for the schema's ``$schema`` dialect.

    The Compose schema declares ``https://json-schema.org/draft-07/schema``,
    which jsonschema knows as ``http://json-schema.org/draft-07/schema#``: try
    the declared URI first, then that canonical spelling, before jsonschema's
    own fallback (the latest draft, with a deprecation warning).
    """
    declared = schema.get("$schema", "")
    canonical = "http://" + declared.removeprefix("https://").removeprefix("http://")
    canonical = canonical.rstrip("#") + "#"
    for uri in (declared, canonical):
        found = validator_for({"$schema": uri}, default=None)
        if found is not None:
            return found
    return validator_for(schema)


def _location(error: ValidationError) -> str:
    """Dotted path to the failing value, e.g. ``services.app.ports``."""
    parts = [f"[{part}]" if isinstance(part, int) else str(part) for part in error.absolute_path]
    return ".".join(parts).replace(".[", "[") or "(root)"


def _messages(errors: Iterable[ValidationError]) -> list[str]:
    ordered = sorted(errors, key=lambda error: [str(part) for part in error.absolute_path])
    return [f"{_location(error)}: {error.message}" for error in ordered]


def validate_document(document: Any) -> list[str]:
    """Errors in an already-parsed Compose document; an empty list when it is valid."""
    schema = _schema()
    validator_class = _validator_class(schema)
    validator_class.check_schema(schema)
    return _messages(validator_class(schema).iter_errors(document))


def validate(path: str | Path) -> list[str]:
    """Errors in the Compose file at ``path``; an empty list when it is valid."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        return [f"(file): cannot read {path}: {exc.strerror or exc}"]
    except yaml.YAMLError as exc:
        return [f"(file): not valid YAML: {exc}"]
    return validate_document(document)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: compose_schema.py COMPOSE_FILE", file=sys.stderr)
        return 2
    path = argv[0]
    errors = validate(path)
    if errors:
        for message in errors:
            print(f"{path}: {message}")
        return 1
    print(f"{path}: valid against the Compose Specification")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
