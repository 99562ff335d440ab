"""Import and export of OCPI JSON files, one mechanism for every object kind.

An app registers a `Kind` (locations, tariffs; later sessions and CDRs) from its AppConfig;
this module gives them one refusal type, error lines naming file, object and field, the
all-or-nothing runner and the base classes of the import_*/export_* commands, as pretix keeps
one importer and one export command over a registry (pretix/pretix:
src/pretix/base/services/modelimport.py, src/pretix/base/exporter.py). No domain app is
imported here: kinds come to us.

    result = run_import(get_kind("locations"), data, label="file.json", create_operators=True)
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from roaming import audit, ocpi_json
from roaming.models import Operator


class ImportRefused(ValueError):
    """Nothing was imported; `.errors` are lines naming file, object and field."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def error_lines(label: str, error: ValidationError) -> list[str]:
    """A model's ValidationError as "label: field: message" lines."""
    if not hasattr(error, "error_dict"):
        return [f"{label}: {message}" for message in error.messages]
    lines = []
    for name, messages in error.message_dict.items():
        for message in messages:
            # JSON field messages already start with their path ("owner.name: ...").
            if name == "__all__" or message.startswith(name):
                lines.append(f"{label}: {message}")
            else:
                lines.append(f"{label}: {name}: {message}")
    return lines


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    warnings: list[str] = field(default_factory=list)  # imported anyway; printed on stderr
    objects: list = field(default_factory=list)  # what was saved, in file order


class Kind:
    """One OCPI object kind that files carry. Subclasses fill in the hooks."""

    name: str  # registry key and the commands' noun: "locations"
    loads: Callable[[str], Any] = staticmethod(json.loads)  # tariffs: exact Decimals

    def parse(self, obj, *, label: str) -> Any:
        """Check one object of the file; its model values, or ImportRefused."""
        raise NotImplementedError

    def key(self, parsed) -> tuple:
        """Identity of a parsed object: two with the same key in one file are refused."""
        raise NotImplementedError

    def twice(self, key: tuple) -> str:
        """The error line (without the file) for a key found twice."""
        raise NotImplementedError

    def save(self, parsed: list, **options) -> ImportResult:
        """Write everything inside the runner's transaction; ImportRefused rolls it back."""
        raise NotImplementedError

    def export(self, operator: Operator | None) -> Iterable[dict]:
        """OCPI objects of `operator` (or all), as the hub would receive them."""
        raise NotImplementedError

    def report(self, result: ImportResult, label: str) -> list[str]:
        """What the import command prints after a successful import."""
        return [f"{label}: {result.created} created, {result.updated} updated."]


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Called from the owning app's AppConfig.ready()."""
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> Kind:
    return _KINDS[name]


def run_import(kind: Kind, data, *, label: str = "", **options) -> ImportResult:
    """Import one OCPI object or a list of them: all of it, or nothing and every error."""
    objects = data if isinstance(data, list) else [data]
    prefix = f"{label}: " if label else ""
    errors: list[str] = []
    parsed = []
    for obj in objects:
        try:
            parsed.append(kind.parse(obj, label=prefix))
        except ImportRefused as exc:
            errors += exc.errors
    counts = Counter(kind.key(p) for p in parsed)
    errors += [prefix + kind.twice(key) for key in sorted(k for k, n in counts.items() if n > 1)]
    if errors:
        raise ImportRefused(errors)
    with transaction.atomic():
        return kind.save(parsed, **options)


def read_file(kind: Kind, path: Path):
    """The file's JSON; ImportRefused naming the file when it cannot be read."""
    try:
        return kind.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportRefused([f"{path}: cannot read: {exc.strerror}"]) from None
    except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError included
        raise ImportRefused([f"{path}: not valid JSON: {exc}"]) from None


def export_json(kind: Kind, operator: Operator | None = None) -> str:
    """A JSON list of OCPI objects, exact decimals kept (roaming.ocpi_json)."""
    return ocpi_json.dumps(list(kind.export(operator)), indent=2)


# --- the import_<kind> and export_<kind> management commands ------------------


class ImportCommand(BaseCommand):
    """`import_<kind> FILE`: subclasses set `kind` and add their options."""

    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def import_options(self, options: dict) -> dict:
        """The keyword arguments of Kind.save taken from the command line."""
        return {}

    def handle(self, *args, file: Path, **options):
        kind = get_kind(self.kind)
        try:
            data = read_file(kind, file)
        except ImportRefused as exc:
            raise CommandError(exc.errors[0]) from None
        try:
            with transaction.atomic():  # the import and its audit entry commit together
                result = run_import(kind, data, label=str(file), **self.import_options(options))
                audit.record(
                    actor=audit.command_actor(f"import_{kind.name}"),
                    action=f"import_{kind.name}",
                    objects=result.objects,
                    detail=f"{file}: {result.created} created, {result.updated} updated",
                )
        except ImportRefused as exc:
            raise CommandError(
                f"Nothing imported, {len(exc.errors)} problem(s):\n" + "\n".join(exc.errors)
            ) from None
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        for line in kind.report(result, str(file)):
            self.stdout.write(line)


class ExportCommand(BaseCommand):
    """`export_<kind> [--operator FR*AB1]`: print a JSON list of OCPI objects."""

    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("--operator", help="eMI3 operator id, e.g. FR*AB1")

    def handle(self, *args, operator: str | None, **options):
        match = None
        if operator:
            try:
                match = Operator.objects.by_emi3(operator)
            except Operator.DoesNotExist:
                raise CommandError(
                    f"Unknown operator {operator!r} (expected e.g. FR*AB1)."
                ) from None
        self.stdout.write(export_json(get_kind(self.kind), match))
