"""The pre-registered suite: ``registry.toml`` (every check as registered) and
``registry-changelog.toml`` (every change to it), read and checked.

The registry is the one place a check's claim, source, statistic, range, range basis, failure
criterion, role and registration date are declared (``docs/validation.md`` explains the rules);
:mod:`sim.validation.suite` builds its :class:`~sim.validation.suite.Check` objects from it. The
changelog records, for every change of a registered statistic, its arguments, range, criterion or
role, why and the model's value before and after; :func:`disagreements` lists every way the two
files disagree (the changelog's latest record of each check must equal its registry entry), and a
test fails on any.

Both files are read on first use (no import-time side effects) and checked strictly: an unknown
key, a missing field or a value outside what is allowed is a :class:`~sim.errors.UserError`
naming the file, the check and the key.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from sim.errors import UserError

REGISTRY = "registry.toml"
CHANGELOG = "registry-changelog.toml"


class Role(StrEnum):
    """What a check's verdict means (``docs/validation.md``)."""

    VALIDATION = "validation"  # counted in the verdicts
    BY_CONSTRUCTION = "by_construction"  # follows from the declared formulas: listed apart
    DIAGNOSTIC = "diagnostic"  # a former statistic kept for comparison: no verdict
    DESCRIPTIVE = "descriptive"  # no claim, no verdict


class RangeBasis(StrEnum):
    """Where a range comes from."""

    SOURCE = "source"
    TRANSFORMATION = "transformation"
    CONVENTION = "convention"
    PROJECT = "project"
    CONSTRUCTION = "construction"
    NONE = "none"


class Change(StrEnum):
    REGISTERED = "registered"
    RANGE = "range"
    STATISTIC = "statistic"
    CRITERION = "criterion"
    ROLE = "role"
    REMOVED = "removed"


KINDS = ("pattern", "anchor", "case")
PENDING = "pending"
"""How a changelog record marks a value measured only after the change was committed."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered check (or one family of checks: ``decomposition_<mechanism>``,
    ``case_<case>``), as the registry declares it."""

    id: str
    kind: str
    role: Role
    registered: dt.date
    claim: str
    source: str
    published: str
    statistic: str
    studies: tuple[str, ...]
    definition: str
    range_basis: RangeBasis
    range_reason: str
    fails_if: str
    unit: str
    range_low: float | None = None
    range_high: float | None = None
    args: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    by_construction: str = ""
    diagnostic_for: str = ""
    label: str = ""
    family: bool = False

    @property
    def has_range(self) -> bool:
        return self.range_low is not None or self.range_high is not None


@dataclass(frozen=True, slots=True)
class Record:
    """One record of the changelog: the check's state after the change."""

    id: str
    date: dt.date
    change: Change
    why: str
    statistic: str | None = None
    args: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    range_low: float | None = None
    range_high: float | None = None
    role: Role | None = None
    commit: str = ""
    value_before: str = ""
    value_after: str = ""


_REQUIRED = ("id", "kind", "role", "registered", "claim", "source", "published", "statistic",
             "studies", "definition", "range_basis", "range_reason", "fails_if", "unit")
_OPTIONAL = ("range_low", "range_high", "args", "by_construction", "diagnostic_for", "label")
_RECORD_REQUIRED = ("id", "date", "change", "why")
_RECORD_OPTIONAL = ("statistic", "args", "range_low", "range_high", "role", "commit",
                    "value_before", "value_after")


def _packaged(name: str) -> str:
    return resources.files("sim.validation").joinpath(name).read_text(encoding="utf-8")


def _toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{origin}: not valid TOML: {exc}") from None


def _where(origin: str, table: Mapping[str, Any], k: int, what: str) -> str:
    name = table.get("id")
    return f"{origin}: {what} {name!r}" if isinstance(name, str) else f"{origin}: {what} #{k + 1}"


def _keys(table: Mapping[str, Any], required: Sequence[str], optional: Sequence[str],
          where: str) -> None:
    for key in table:
        if key not in required and key not in optional:
            raise UserError(f"{where}: {key}: unknown key; allowed: "
                            f"{', '.join((*required, *optional))}")
    for key in required:
        if key not in table:
            raise UserError(f"{where}: {key}: missing")


def _text(table: Mapping[str, Any], key: str, where: str, *, empty: bool = False) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise UserError(f"{where}: {key}: got {value!r}; allowed: a non-empty string")
    return value


def _date(table: Mapping[str, Any], key: str, where: str) -> dt.date:
    value = table[key]
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise UserError(f"{where}: {key}: got {value!r}; allowed: a date (2026-12-07)")
    return value


def _end(table: Mapping[str, Any], key: str, where: str) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserError(f"{where}: {key}: got {value!r}; allowed: a finite number")
    return float(value)


def _enum(kind: type[StrEnum], value: Any, key: str, where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise UserError(f"{where}: {key}: got {value!r}; allowed: "
                        f"{', '.join(m.value for m in kind)}") from None


def _args(table: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    value = table.get("args", {})
    if not isinstance(value, dict):
        raise UserError(f"{where}: args: got {value!r}; allowed: a table")
    return MappingProxyType(dict(value))


def _entry(table: Mapping[str, Any], k: int, origin: str, *, family: bool) -> Entry:
    where = _where(origin, table, k, "family" if family else "check")
    _keys(table, _REQUIRED, _OPTIONAL, where)
    kind = _text(table, "kind", where)
    if kind not in KINDS:
        raise UserError(f"{where}: kind: got {kind!r}; allowed: {', '.join(KINDS)}")
    studies = table["studies"]
    if not isinstance(studies, list) or not all(isinstance(s, str) for s in studies):
        raise UserError(f"{where}: studies: got {studies!r}; allowed: a list of study names")
    entry = Entry(
        id=_text(table, "id", where), kind=kind, role=_enum(Role, table["role"], "role", where),
        registered=_date(table, "registered", where), claim=_text(table, "claim", where),
        source=_text(table, "source", where), published=_text(table, "published", where),
        statistic=_text(table, "statistic", where), studies=tuple(studies),
        definition=_text(table, "definition", where),
        range_basis=_enum(RangeBasis, table["range_basis"], "range_basis", where),
        range_reason=_text(table, "range_reason", where),
        fails_if=_text(table, "fails_if", where), unit=_text(table, "unit", where),
        range_low=_end(table, "range_low", where), range_high=_end(table, "range_high", where),
        args=_args(table, where),
        by_construction=_text(table, "by_construction", where, empty=True),
        diagnostic_for=_text(table, "diagnostic_for", where, empty=True),
        label=_text(table, "label", where, empty=True), family=family)
    _check_entry(entry, where)
    return entry


def _check_entry(e: Entry, where: str) -> None:
    """The rules of docs/validation.md that one entry can break on its own."""
    if e.range_low is not None and e.range_high is not None and e.range_low > e.range_high:
        raise UserError(f"{where}: range_low {e.range_low:g} > range_high {e.range_high:g}; "
                        "allowed: range_low <= range_high")
    verdictless = e.role in (Role.DIAGNOSTIC, Role.DESCRIPTIVE)
    if verdictless and (e.has_range or e.range_basis is not RangeBasis.NONE):
        raise UserError(f"{where}: a {e.role} entry has no verdict; allowed: no range_low or "
                        "range_high, and range_basis = \"none\"")
    if not verdictless and (not e.has_range or e.range_basis is RangeBasis.NONE):
        raise UserError(f"{where}: a {e.role} check needs a range and its basis; allowed: "
                        "range_low and/or range_high, and range_basis other than \"none\"")
    if (e.role is Role.BY_CONSTRUCTION) != bool(e.by_construction.strip()):
        raise UserError(f"{where}: by_construction: says why a check holds by construction; "
                        "allowed: a text exactly when role = \"by_construction\"")
    if (e.role is Role.BY_CONSTRUCTION) != (e.range_basis is RangeBasis.CONSTRUCTION):
        raise UserError(f"{where}: range_basis: got {e.range_basis.value!r}; allowed: "
                        "\"construction\" exactly when role = \"by_construction\"")
    if (e.role is Role.DIAGNOSTIC) != bool(e.diagnostic_for):
        raise UserError(f"{where}: diagnostic_for: names the check a diagnostic stands beside; "
                        "allowed: a check id exactly when role = \"diagnostic\"")


@dataclass(frozen=True, slots=True)
class Registry:
    checks: tuple[Entry, ...]
    families: tuple[Entry, ...]

    def entries(self) -> tuple[Entry, ...]:
        return self.checks + self.families

    def family(self, prefix: str) -> Entry:
        """The family whose id starts with ``prefix`` (``"case_"``, ``"decomposition_"``)."""
        for f in self.families:
            if f.id.startswith(prefix):
                return f
        raise KeyError(prefix)


@cache
def registry() -> Registry:
    """The registry as declared, checked (read once)."""
    return parse_registry(_packaged(REGISTRY), origin=f"sim/validation/{REGISTRY}")


def parse_registry(text: str, *, origin: str) -> Registry:
    """A registry from its TOML text, checked (errors name ``origin``, the check and the key)."""
    data = _toml(text, origin)
    _keys(data, ("schema", "check", "family"), (), origin)
    if data["schema"] != 1:
        raise UserError(f"{origin}: schema: got {data['schema']!r}; allowed: 1")
    checks = tuple(_entry(t, k, origin, family=False) for k, t in enumerate(data["check"]))
    families = tuple(_entry(t, k, origin, family=True) for k, t in enumerate(data["family"]))
    seen: set[str] = set()
    for e in checks + families:
        if e.id in seen:
            raise UserError(f"{origin}: check {e.id!r}: declared twice; allowed: each id once")
        seen.add(e.id)
    ids = {e.id for e in checks}
    for e in checks:
        if e.diagnostic_for and e.diagnostic_for not in ids:
            raise UserError(f"{origin}: check {e.id!r}: diagnostic_for: got "
                            f"{e.diagnostic_for!r}; allowed: the id of a registered check")
    return Registry(checks, families)


@cache
def changelog() -> tuple[Record, ...]:
    """The changelog's records, oldest first (read once)."""
    return parse_changelog(_packaged(CHANGELOG), origin=f"sim/validation/{CHANGELOG}")


def parse_changelog(text: str, *, origin: str) -> tuple[Record, ...]:
    """Changelog records from TOML text, checked: dates must not go backwards."""
    data = _toml(text, origin)
    _keys(data, ("change",), (), origin)
    records: list[Record] = []
    for k, t in enumerate(data["change"]):
        where = _where(origin, t, k, "record")
        _keys(t, _RECORD_REQUIRED, _RECORD_OPTIONAL, where)
        role = t.get("role")
        record = Record(
            id=_text(t, "id", where), date=_date(t, "date", where),
            change=_enum(Change, t["change"], "change", where), why=_text(t, "why", where),
            statistic=t.get("statistic"), args=_args(t, where),
            range_low=_end(t, "range_low", where), range_high=_end(t, "range_high", where),
            role=None if role is None else _enum(Role, role, "role", where),
            commit=_text(t, "commit", where, empty=True),
            value_before=_text(t, "value_before", where, empty=True),
            value_after=_text(t, "value_after", where, empty=True))
        if records and record.date < records[-1].date:
            raise UserError(f"{where}: date: {record.date} before the previous record's "
                            f"{records[-1].date}; allowed: records oldest first")
        records.append(record)
    return tuple(records)


def latest(records: Sequence[Record]) -> dict[str, Record]:
    """Each check's latest record."""
    out: dict[str, Record] = {}
    for r in records:
        out[r.id] = r
    return out


def disagreements(reg: Registry, records: Sequence[Record]) -> list[str]:
    """Every way the changelog and the registry disagree (empty: they agree).

    The latest record of each registered check must give its statistic, arguments, range, role
    and registration date; a check whose latest record removes it must not be registered; a
    change to an existing check (range, statistic, criterion, role) must say why and give the
    model's value before and after (``pending`` is allowed only until the value is measured, and
    :func:`pending` lists those).
    """
    problems: list[str] = []
    last = latest(records)
    for e in reg.entries():
        r = last.get(e.id)
        if r is None:
            problems.append(f"{e.id}: registered but has no changelog record")
            continue
        if r.change is Change.REMOVED:
            problems.append(f"{e.id}: registered, but its latest changelog record removes it")
            continue
        state = {"statistic": e.statistic, "args": dict(e.args), "range_low": e.range_low,
                 "range_high": e.range_high, "role": e.role, "date": e.registered}
        logged = {"statistic": r.statistic, "args": dict(r.args), "range_low": r.range_low,
                  "range_high": r.range_high, "role": r.role, "date": r.date}
        for key, value in state.items():
            if logged[key] != value:
                name = "registered" if key == "date" else key
                problems.append(f"{e.id}: {name} is {value!r} in the registry but "
                                f"{logged[key]!r} in its latest changelog record ({r.date})")
    ids = {e.id for e in reg.entries()}
    for check_id, r in last.items():
        if check_id not in ids and r.change is not Change.REMOVED:
            problems.append(f"{check_id}: in the changelog ({r.date}) but not in the registry, "
                            "and no record removes it")
    seen: set[str] = set()
    for r in records:
        if r.id in seen and r.change is Change.REGISTERED:
            problems.append(f"{r.id}: registered again on {r.date}; allowed: a change record")
        if r.id not in seen and r.change is not Change.REGISTERED:
            problems.append(f"{r.id}: its first record ({r.date}) is a {r.change}; allowed: "
                            "a registration first")
        seen.add(r.id)
        if r.change in (Change.RANGE, Change.STATISTIC, Change.CRITERION, Change.ROLE,
                        Change.REMOVED) and not (r.value_before.strip() and r.value_after.strip()):
            problems.append(f"{r.id}: the {r.change} change of {r.date} needs value_before and "
                            "value_after")
        if r.change is not Change.REMOVED and r.statistic is None:
            problems.append(f"{r.id}: the record of {r.date} gives no statistic")
    return problems


def pending(records: Sequence[Record]) -> list[str]:
    """Changes whose value after is still to be measured."""
    return [f"{r.id} ({r.change}, {r.date})" for r in records
            if r.value_after.strip().lower().startswith(PENDING)]
