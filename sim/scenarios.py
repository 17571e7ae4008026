"""Scenarios: who the agencies are and how they relate, as data.

A scenario is a TOML file: the built-in ones live in ``sim/data/scenarios/`` and are listed by
``warnsim scenarios``; a user's own file is used by passing its path wherever a scenario name
is accepted. The file declares agencies (``[[agency]]``), blocs, bloc-pair rivalry factors,
pairs without a liaison channel and scheduled rivalry shifts (``[[shift]]``). Every key is
declared once below (:data:`TOP_KEYS`, :data:`AGENCY_KEYS`, ...), for this loader and for the
file-format reference; ``warnsim scenarios --template FILE`` writes an annotated example.

Rivalry of agency *i* toward *j* at the start of a run:

* same bloc: parameter ``within_bloc_rivalry``;
* different blocs: parameter ``rivalry`` x the bloc-pair factor (default 1), clipped to [0, 1];
* ``[[pair]]`` entries may set a directed dyad's rivalry outright (asymmetry).

Scheduled shifts set a dyad's or a bloc pair's rivalry to a new value on a given day
(relations between two services change: a dyad may heed warnings in one period and dismiss them
in another).

Experiments change a scenario by **dotted names** (:func:`factor`, :func:`with_changes`):
``agency.NAME.ATTRIBUTE`` (one of :data:`AGENCY_FACTORS`), ``bloc_rivalry.A:B`` (a bloc-pair
factor) and ``liaison.A:B`` (whether the members of two blocs, or two agencies, have liaison
channels), so agency traits, bloc factors and liaison can be fixed or swept like model
parameters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from sim import files
from sim.enums import Doctrine
from sim.errors import UserError
from sim.keys import Key, names, required
from sim.params import ModelParams, Param, ParameterError


@dataclass(frozen=True, slots=True)
class AgencyProfile:
    """The fixed traits of one agency, handed to the agent at creation."""

    name: str
    country: str
    bloc: str
    capability: float
    home_security: float
    source_sensitivity: float
    doctrine: Doctrine
    opportunism: float | None = None  # None: drawn per run (parameters opportunism, preference_spread)
    concern: float | None = None  # None: drawn per run (parameters concern, preference_spread)


@dataclass(frozen=True, slots=True)
class RivalryShift:
    """On ``day``, set the rivalry between the members of ``a`` and of ``b`` to ``rivalry``."""

    day: int
    a: tuple[int, ...]
    b: tuple[int, ...]
    rivalry: float
    directed: bool


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    agencies: tuple[AgencyProfile, ...]
    bloc_factors: dict[tuple[str, str], float]
    pair_rivalry: dict[tuple[int, int], float]
    no_liaison: frozenset[tuple[int, int]]
    shifts: tuple[RivalryShift, ...]

    @property
    def size(self) -> int:
        return len(self.agencies)

    def rivalry_matrix(self, params: ModelParams) -> np.ndarray:
        """Initial rivalry, ``[i, j]`` = rivalry of ``i`` toward ``j`` (diagonal 0)."""
        n = self.size
        out = np.empty((n, n))
        for i, a in enumerate(self.agencies):
            for j, b in enumerate(self.agencies):
                if a.bloc == b.bloc:
                    out[i, j] = params.within_bloc_rivalry
                else:
                    factor = self.bloc_factors.get((a.bloc, b.bloc), 1.0)
                    out[i, j] = params.rivalry * factor
        for (i, j), value in self.pair_rivalry.items():
            out[i, j] = value
        np.fill_diagonal(out, 0.0)
        return np.clip(out, 0.0, 1.0)

    def liaison_matrix(self) -> np.ndarray:
        """``[i, j]`` True when ``i`` can pass a written warning to ``j`` through liaison."""
        out = ~np.eye(self.size, dtype=bool)
        for i, j in self.no_liaison:
            out[i, j] = out[j, i] = False
        return out


def scenario_names() -> list[str]:
    """Names of the built-in scenarios."""
    folder = resources.files("sim") / "data" / "scenarios"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        if not path.is_file():
            raise UserError(f"scenario: {path} is not a file")
        try:
            text = files.read_text(path, cap=files.Cap.TOML, what="scenario file")
        except files.Unreadable as exc:
            raise UserError(f"scenario: cannot read {path}: {exc.problem}") from None
        return parse_scenario(text, origin=str(path))
    if name_or_path not in scenario_names():
        raise UserError(
            f"scenario: unknown scenario {name_or_path!r}; allowed: "
            + ", ".join(scenario_names()) + " or the path of a scenario .toml file"
        )
    return _builtin(name_or_path)


def template() -> str:
    """An annotated example scenario (``warnsim scenarios --template FILE``)."""
    return (resources.files("sim") / "data" / "templates" / "scenario.toml").read_text("utf-8")


_CACHE: dict[str, Scenario] = {}


def _builtin(name: str) -> Scenario:
    # Sweeps load the same scenario for every run; parse each built-in file once per process.
    if name not in _CACHE:
        text = (resources.files("sim") / "data" / "scenarios" / f"{name}.toml").read_text("utf-8")
        _CACHE[name] = parse_scenario(text, origin=f"scenario {name}")
    return _CACHE[name]


BLOC_FACTOR_MAX = 10.0
"""Largest bloc-pair rivalry factor."""

_UNIT = "a number in [0, 1]"

TOP_KEYS: tuple[Key, ...] = (
    Key("name", "text", "shown in tables (default: the file's path)"),
    Key("description", "text", "one line"),
    Key("blocs", "table of text", "the blocs, each with a description; once present, every "
        "agency's `bloc` must be one of its keys"),
    Key("bloc_rivalry", f"table of numbers in [0, {BLOC_FACTOR_MAX:g}]",
        "`\"blocA:blocB\" = factor`: rivalry between their agencies is the model parameter "
        "`rivalry` x factor, clipped to [0, 1]; symmetric; default factor 1"),
    Key("agency", "array of tables", "the agencies (`[[agency]]`, at least two)", required=True),
    Key("pair", "array of tables", "directed rivalry overrides (`[[pair]]`)"),
    Key("liaison", "table", "pairs without a liaison channel (`[liaison]`)"),
    Key("shift", "array of tables", "scheduled rivalry changes (`[[shift]]`)"),
)
"""The top level of a scenario file."""

AGENCY_KEYS: tuple[Key, ...] = (
    Key("name", "text", "unique; used in tables, pairs, liaison and shifts", required=True),
    Key("country", "text", "the country it protects (default: the name)"),
    Key("bloc", "text", "its bloc (a key of `[blocs]` when that table exists)", required=True),
    Key("capability", _UNIT, "chance to detect plots abroad (times `detection_rate`), and through "
        "the capability factor its discriminability, the details it learns and checks, its "
        "corroboration and investigations", required=True),
    Key("home_security", _UNIT, "chance its own services learn of a plot against its country",
        required=True),
    Key("source_sensitivity", _UNIT, "how exposed its sources are when it warns: the sources "
        "waiver, sanitisation, burned sources", required=True),
    Key("doctrine", " / ".join(d.value for d in Doctrine),
        "whom it warns (default `warn_all`, as ICD 191 directs); the model parameter `doctrine` "
        "can impose one on every agency"),
    Key("opportunism", _UNIT, "fixes how much the agency counts a rival's losses as its own "
        "gain (default: drawn each run from the parameters `opportunism` and "
        "`preference_spread`)"),
    Key("concern", _UNIT, "fixes how much the agency values lives in other countries (default: "
        "drawn each run from the parameters `concern` and `preference_spread`)"),
)
"""One ``[[agency]]`` table."""

PAIR_KEYS: tuple[Key, ...] = (
    Key("from", "an agency name", "the agency whose rivalry is set", required=True),
    Key("to", "an agency name", "the agency it is rivalry toward", required=True),
    Key("rivalry", _UNIT, "replaces whatever the blocs give, in this direction only",
        required=True),
)
"""One ``[[pair]]`` table."""

LIAISON_KEYS: tuple[Key, ...] = (
    Key("none", "a list of pairs of agency names", "`[[\"A\", \"B\"], ...]`: pairs without a "
        "liaison channel (both directions); a warning between them is relayed through a third "
        "agency, made public or not sent (parameter `no_liaison_route`)"),
)
"""The ``[liaison]`` table."""

SHIFT_KEYS: tuple[Key, ...] = (
    Key("day", "an integer >= 0", "the day the change takes effect", required=True),
    Key("between", "two agency or bloc names", "every member of the first and every member of "
        "the second", required=True),
    Key("rivalry", _UNIT, "the new rivalry", required=True),
    Key("directed", "true / false", "default false: both directions; true: the first toward the "
        "second only"),
)
"""One ``[[shift]]`` table."""


def parse_scenario(text: str, *, origin: str) -> Scenario:
    """Parse and validate a scenario file's text; errors name ``origin`` and the key."""
    data = files.parse_toml(text, origin=origin, malformed="not valid TOML ({})")
    _only(data, names(TOP_KEYS), origin, "top level")
    rows = data.get("agency")
    if not isinstance(rows, list) or len(rows) < 2 or not all(isinstance(r, dict) for r in rows):
        raise UserError(f"{origin}: agency: at least two [[agency]] tables are required")
    agencies = tuple(_agency(row, k, origin) for k, row in enumerate(rows))
    index = {a.name: k for k, a in enumerate(agencies)}
    if len(index) != len(agencies):
        repeated = next(a.name for k, a in enumerate(agencies) if index[a.name] != k)
        raise UserError(f"{origin}: agency {repeated!r}: names must be unique")
    declared = _table(data, "blocs", origin)
    for key, value in declared.items():
        if not isinstance(value, str):
            raise UserError(f"{origin}: blocs.{key}: expected a text description")
    if declared:
        for agency in agencies:
            if agency.bloc not in declared:
                raise UserError(f"{origin}: agency {agency.name!r}: bloc {agency.bloc!r} is not "
                                f"declared in [blocs]; allowed: {', '.join(declared)}")
    blocs = {a.bloc for a in agencies}

    factors: dict[tuple[str, str], float] = {}
    for key, value in _table(data, "bloc_rivalry", origin).items():
        a, sep, b = key.partition(":")
        if not sep or a not in blocs or b not in blocs or a == b:
            raise UserError(
                f"{origin}: bloc_rivalry.{key}: expected 'blocA:blocB', two different blocs among "
                + ", ".join(sorted(blocs))
            )
        factors[(a, b)] = factors[(b, a)] = _number(value, f"bloc_rivalry.{key}", origin, 0,
                                                    BLOC_FACTOR_MAX)

    pairs: dict[tuple[int, int], float] = {}
    for k, row in enumerate(_tables(data, "pair", origin)):
        key = f"pair #{k + 1}"
        _only(row, names(PAIR_KEYS), origin, key)
        i, j = _member(row.get("from"), index, f"{key}.from", origin), _member(
            row.get("to"), index, f"{key}.to", origin
        )
        if i == j:
            raise UserError(f"{origin}: {key}: 'from' and 'to' must be different agencies")
        pairs[(i, j)] = _number(row.get("rivalry"), f"{key}.rivalry", origin, 0, 1)

    no_liaison: set[tuple[int, int]] = set()
    liaison = _table(data, "liaison", origin)
    _only(liaison, names(LIAISON_KEYS), origin, "liaison")
    pairs_without = liaison.get("none", [])
    if not isinstance(pairs_without, list):
        raise UserError(f"{origin}: liaison.none: expected a list of pairs of agency names")
    for k, pair in enumerate(pairs_without):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise UserError(f"{origin}: liaison.none #{k + 1}: expected a pair of agency names")
        i = _member(pair[0], index, f"liaison.none #{k + 1}", origin)
        j = _member(pair[1], index, f"liaison.none #{k + 1}", origin)
        if i == j:
            raise UserError(f"{origin}: liaison.none #{k + 1}: expected two different agencies")
        no_liaison.add((i, j))

    shifts = tuple(
        _shift(row, k, index=index, blocs=blocs, agencies=agencies, origin=origin)
        for k, row in enumerate(_tables(data, "shift", origin))
    )
    return Scenario(
        name=str(data.get("name", origin)),
        description=str(data.get("description", "")),
        agencies=agencies,
        bloc_factors=factors,
        pair_rivalry=pairs,
        no_liaison=frozenset(no_liaison),
        shifts=tuple(sorted(shifts, key=lambda s: s.day)),
    )


def _agency(row: Any, k: int, origin: str) -> AgencyProfile:
    if not isinstance(row, dict):
        raise UserError(f"{origin}: agency #{k + 1}: expected a table")
    name = row.get("name")
    key = f"agency {name!r}" if isinstance(name, str) and name.strip() else f"agency #{k + 1}"
    if "manipulative" in row:
        raise UserError(f"{origin}: {key}: manipulative: no longer a key (senders choose to "
                        "fabricate from their preferences); allowed instead: opportunism, concern "
                        "(numbers in [0, 1])")
    _only(row, names(AGENCY_KEYS), origin, key)
    for needed in required(AGENCY_KEYS):
        if needed not in row:
            raise UserError(f"{origin}: {key}: {needed}: missing")
    for text_key in ("name", "bloc", "country"):
        if text_key in row and not (isinstance(row[text_key], str) and row[text_key].strip()):
            raise UserError(f"{origin}: {key}: {text_key}: expected non-empty text")
    doctrine_text = row.get("doctrine", Doctrine.WARN_ALL.value)
    try:
        doctrine = Doctrine(doctrine_text)
    except ValueError:
        raise UserError(
            f"{origin}: {key}: doctrine: got {doctrine_text!r}; allowed: {Doctrine.allowed()}"
        ) from None
    preferences = {k: _number(row[k], f"{key}: {k}", origin, 0, 1)
                   for k in ("opportunism", "concern") if k in row}
    return AgencyProfile(
        name=str(row["name"]),
        country=str(row.get("country", row["name"])),
        bloc=str(row["bloc"]),
        capability=_number(row["capability"], f"{key}: capability", origin, 0, 1),
        home_security=_number(row["home_security"], f"{key}: home_security", origin, 0, 1),
        source_sensitivity=_number(row["source_sensitivity"], f"{key}: source_sensitivity", origin,
                                   0, 1),
        doctrine=doctrine,
        **preferences,
    )


def _shift(row: Any, k: int, *, index: dict[str, int], blocs: set[str],
           agencies: tuple[AgencyProfile, ...], origin: str) -> RivalryShift:
    key = f"shift #{k + 1}"
    _only(row, names(SHIFT_KEYS), origin, key)
    day = row.get("day")
    if not isinstance(day, int) or isinstance(day, bool) or day < 0:
        raise UserError(f"{origin}: {key}.day: expected a non-negative integer")
    between = row.get("between")
    if not (isinstance(between, list) and len(between) == 2):
        raise UserError(f"{origin}: {key}.between: expected two agency or bloc names")

    def group(name: Any) -> tuple[int, ...]:
        if not isinstance(name, str):
            raise UserError(f"{origin}: {key}.between: expected agency or bloc names")
        if name in index:
            return (index[name],)
        if name in blocs:
            return tuple(i for i, a in enumerate(agencies) if a.bloc == name)
        raise UserError(f"{origin}: {key}.between: {name!r} is neither an agency nor a bloc")

    directed = row.get("directed", False)
    if not isinstance(directed, bool):
        raise UserError(f"{origin}: {key}.directed: expected true or false")
    return RivalryShift(day, group(between[0]), group(between[1]),
                        _number(row.get("rivalry"), f"{key}.rivalry", origin, 0, 1), directed)


def _tables(data: dict[str, Any], key: str, origin: str) -> list[dict[str, Any]]:
    """An array of tables (``[[key]]``), checked to be one."""
    value = data.get(key, [])
    if not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
        raise UserError(f"{origin}: {key}: expected [[{key}]] tables")
    return value


def _only(data: dict[str, Any], allowed: set[str], origin: str, where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise UserError(
            f"{origin}: {where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )


def _table(data: dict[str, Any], key: str, origin: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise UserError(f"{origin}: {key}: expected a table")
    return value


def _number(value: Any, key: str, origin: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise UserError(f"{origin}: {key}: got {value!r}; allowed: a number in [{low:g}, {high:g}]")
    return float(value)


def _member(name: Any, index: dict[str, int], key: str, origin: str) -> int:
    if not isinstance(name, str) or name not in index:
        raise UserError(f"{origin}: {key}: unknown agency {name!r}; allowed: {', '.join(index)}")
    return index[name]


# --- dotted names: scenario traits as experimental factors ---------------------------------------

AGENCY_FACTORS: dict[str, str] = {
    "capability": "the agency's capability (a number in [0, 1])",
    "home_security": "the agency's home security (a number in [0, 1])",
    "source_sensitivity": "the agency's source sensitivity (a number in [0, 1])",
    "doctrine": "whom the agency warns (its own doctrine; parameter doctrine = scenario applies it)",
    "opportunism": "the agency's opportunism fixed (a number in [0, 1]: how much a rival's losses "
                   "count as its gain)",
    "concern": "the agency's concern for lives in other countries fixed (a number in [0, 1])",
}
"""The agency traits an experiment may set by ``agency.NAME.ATTRIBUTE``, with their meaning."""

DOTTED = ("agency.NAME.ATTRIBUTE (ATTRIBUTE one of " + ", ".join(AGENCY_FACTORS)
          + "), bloc_rivalry.BLOC:BLOC or liaison.SIDE:SIDE (SIDE a bloc or an agency)")
"""What a dotted scenario factor looks like (for messages)."""


def is_dotted(name: str) -> bool:
    """Whether ``name`` means a scenario factor rather than a model parameter."""
    return name.startswith(("agency.", "bloc_rivalry.", "liaison."))


@cache
def factor(name: str) -> Param:
    """The declaration of the dotted scenario factor ``name`` (type, range, meaning), from the
    name alone; :func:`check_factor` checks that a scenario has the agency or blocs it names.
    Raises :class:`~sim.params.ParameterError` naming ``name`` and the allowed forms."""
    prefix, _, rest = name.partition(".")
    if prefix == "agency":
        agency, dot, trait = rest.rpartition(".")
        if not dot or not agency.strip():
            raise ParameterError(name, f"expected {DOTTED}")
        if trait not in AGENCY_FACTORS:
            raise ParameterError(name, f"unknown agency attribute {trait!r}; allowed: "
                                 + ", ".join(AGENCY_FACTORS))
        kind: type = {"doctrine": Doctrine}.get(trait, float)
        low, high = (0.0, 1.0) if kind is float else (None, None)
        return Param(name=name, kind=kind, default=None, low=low, high=high,
                     unit="0-1" if kind is float else "", label=f"{agency} {trait.replace('_', ' ')}",
                     doc=f"{agency}: {AGENCY_FACTORS[trait]}", group="scenario", source="")
    if prefix == "bloc_rivalry":
        a, colon, b = rest.partition(":")
        if not colon or not a or not b or a == b:
            raise ParameterError(name, "expected bloc_rivalry.BLOC:BLOC, two different blocs")
        return Param(name=name, kind=float, default=None, low=0.0, high=BLOC_FACTOR_MAX,
                     unit="factor", label=f"Bloc rivalry {a}:{b}",
                     doc=f"Rivalry factor between blocs {a} and {b} (times parameter rivalry)",
                     group="scenario", source="")
    if prefix == "liaison":
        a, colon, b = rest.partition(":")
        if not colon or not a or not b or a == b:
            raise ParameterError(name, "expected liaison.SIDE:SIDE, two different blocs or "
                                 "agencies")
        return Param(name=name, kind=bool, default=None, low=None, high=None, unit="",
                     label=f"Liaison {a}:{b}",
                     doc=f"Whether {a} and {b} have liaison channels (true: every pair between "
                     "them; false: none, so warnings go by no_liaison_route)",
                     group="scenario", source="")
    raise ParameterError(name, f"expected {DOTTED}")


def liaison_sides(name: str, scenario: Scenario, *,
                  where: str = "") -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The agencies on each side of ``liaison.SIDE:SIDE``: an agency by its name, else the
    members of a bloc (as ``[[shift]]`` reads ``between``). Raises
    :class:`~sim.params.ParameterError` for a side the scenario (called ``where`` in the
    message) does not have."""
    names = [a.name for a in scenario.agencies]
    blocs = sorted({a.bloc for a in scenario.agencies})
    sides = []
    for side in name.removeprefix("liaison.").split(":"):
        if side in names:
            sides.append((names.index(side),))
        elif side in blocs:
            sides.append(tuple(i for i, a in enumerate(scenario.agencies) if a.bloc == side))
        else:
            raise ParameterError(name, f"{side!r} is neither an agency nor a bloc of "
                                 f"{where or repr(scenario.name)}; allowed: blocs {', '.join(blocs)} or "
                                 f"agencies {', '.join(names)}")
    return sides[0], sides[1]


def check_factor(name: str, scenario: Scenario, *, label: str = "") -> None:
    """Refuse a dotted factor naming an agency or bloc that ``scenario`` (called ``label`` in
    the message) does not have."""
    factor(name)
    where = f"scenario {label or scenario.name!r}"
    if name.startswith("agency."):
        agency = name.removeprefix("agency.").rpartition(".")[0]
        names = [a.name for a in scenario.agencies]
        if agency not in names:
            raise ParameterError(name, f"no agency {agency!r} in {where}; allowed: "
                                 + ", ".join(names))
        return
    if name.startswith("liaison."):
        liaison_sides(name, scenario, where=where)
        return
    blocs = sorted({a.bloc for a in scenario.agencies})
    for bloc in name.removeprefix("bloc_rivalry.").split(":"):
        if bloc not in blocs:
            raise ParameterError(name, f"no bloc {bloc!r} in {where}; allowed: "
                                 + ", ".join(blocs))


def with_changes(scenario: Scenario, changes: Iterable[tuple[str, object]]) -> Scenario:
    """``scenario`` with dotted factors set (``[("agency.B1.capability", 0.3), ...]``), each
    checked against its declaration and the scenario. A bloc factor is symmetric, as in the
    file; so is liaison: ``liaison.A:C = false`` removes the channel between every member of A
    and every member of C (both ways), ``true`` opens it, whatever the file's ``[liaison]``
    said about those pairs."""
    agencies = list(scenario.agencies)
    index = {a.name: k for k, a in enumerate(agencies)}
    factors = dict(scenario.bloc_factors)
    no_liaison = set(scenario.no_liaison)
    for name, raw in changes:
        check_factor(name, scenario)
        value = factor(name).coerce(raw)
        if name.startswith("liaison."):
            one, other = liaison_sides(name, scenario)
            between = {(i, j) for i in one for j in other if i != j}
            between |= {(j, i) for i, j in between}
            no_liaison = (no_liaison | between) if not value else (no_liaison - between)
        elif name.startswith("agency."):
            agency, _, trait = name.removeprefix("agency.").rpartition(".")
            k = index[agency]
            agencies[k] = dataclasses.replace(agencies[k], **{trait: value})
        else:
            a, _, b = name.removeprefix("bloc_rivalry.").partition(":")
            factors[(a, b)] = factors[(b, a)] = value
    return dataclasses.replace(scenario, agencies=tuple(agencies), bloc_factors=factors,
                               no_liaison=frozenset(no_liaison))
