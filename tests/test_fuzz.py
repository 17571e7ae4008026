"""Fuzzing the command line with hostile files: property-based generation
(hypothesis, derandomised, a fixed number of examples) of experiment files, scenario files,
case files, design CSVs, manifests and metrics, each run through the CLI as a user types it.

For every generated input the properties are the README's promises:

* the exit status is 0 or 2 (done, or bad input), and the CLI never raises (a traceback);
* a refusal is one line on stderr, ``warnsim: error: ...``;
* nothing is written or removed outside the output folder: the folder holding the inputs (and
  the links, FIFOs and victim files planted there) is byte-for-byte as it was.

The generators mix structure a user would write (every declared key, parameter names, dotted
factors, scenario names) with hostile values (wrong types, NaN, 2**64, empty and non-ASCII text,
deep nesting, random edits of valid text) and hostile neighbours: scenario, design and parameter
files named in the experiment that are links to ``/dev/zero``, FIFOs or missing. Sizes that
are valid but slow (a million replications) are not drawn: the size limits have their own tests.
Runs are the fake ones of :mod:`tests.fake_runs` (the model is not under test here), except for
scenario files, which the model itself runs for two days.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cases import OPTIONAL, REQUIRED
from sim.cli import main
from sim.params import PARAMETERS
from sim.sweep import run_experiment
from tests.fake_runs import fake

FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# --- generated values -----------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
"""Any text that can be written to a UTF-8 file (controls, quotes, newlines, non-ASCII)."""
NUMBER = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([0, 1, -1, 0.5, 2**63, 2**64, 1e308, -0.0, 1.5]))
SCALAR = st.one_of(NUMBER, st.booleans(), TEXT)
ANY = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)
COUNT = st.one_of(st.integers(1, 3), st.sampled_from(
    [0, -1, 100_001, 2**63, 2**64, 1.5, math.nan, math.inf, 1e308, True, "3", "", [], {}]))
"""Days, replications and sample sizes: small valid ones, or invalid ones of every kind."""
NAMES = [*PARAMETERS, "scenario", "agency.A1.capability", "agency.B1.doctrine",
         "agency.ZZ.capability", "agency.A1.colour", "bloc_rivalry.west:east",
         "bloc_rivalry.A:B", "agency..x", "bloc_rivalry.", "seed", "days", "status"]
PARAM_NAME = st.one_of(st.sampled_from(NAMES), TEXT)
SCENARIO = st.one_of(st.sampled_from(["default", "world-2024", "atlantis", "scenario.toml",
                                      "zero.toml", "fifo.toml", "missing.toml", "/dev/zero",
                                      "../scenario.toml", "folder.toml"]), TEXT)
FILE_NAME = st.sampled_from(["design.csv", "zero.csv", "fifo.csv", "missing.csv", "/dev/zero",
                             "params.toml", "zero.toml", "fifo.toml", "folder.toml", ""])


def toml(value) -> str:
    """A value in TOML syntax (inline tables and arrays; JSON's string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(map(toml, value)) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {toml(v)}"
                           for k, v in value.items()) + "}"


def document(table: dict) -> str:
    return "".join(f"{json.dumps(str(k), ensure_ascii=False)} = {toml(v)}\n"
                   for k, v in table.items())


EDIT = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), st.sampled_from(
    ["[", "]", "{", "}", '"', "'", "'''", "\n", "=", ".", ",", "#", "\x00", "\x7f", "é", "[[",
     "1e999", "-", " ", "\\", "nan"])), max_size=4)


def edited(text: str, edits) -> str:
    """``text`` with each edit (where, how many characters to cut, what to insert) applied."""
    for where, cut, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + cut:]
    return text


VALID = """\
name = "fuzz"
days = 2
replications = 2
seed = 7
[fixed]
face_cost = 0.5
[grid]
rivalry = [0.2, 0.8]
[metrics]
gap = "heed_rate_low_rivalry - heed_rate_high_rivalry"
"""


@st.composite
def grid(draw) -> dict:
    axes = {}
    for name in draw(st.lists(PARAM_NAME, max_size=3)):
        axes[name] = draw(st.one_of(
            st.lists(SCALAR, max_size=3),
            st.fixed_dictionaries({"start": SCALAR, "stop": SCALAR, "num": COUNT}),
            ANY))
    return axes


@st.composite
def sample(draw) -> dict:
    found = {"method": draw(st.one_of(st.sampled_from(["lhs", "sobol", "morris", "grid"]), ANY))}
    for key, value in (("n", COUNT), ("trajectories", COUNT), ("levels", st.sampled_from(
            [2, 4, 3, 0, -2, 1001, "4"])), ("ranges", st.dictionaries(PARAM_NAME, st.one_of(
                st.lists(NUMBER, min_size=2, max_size=2), ANY), max_size=3)), ("extra", ANY)):
        if draw(st.booleans()):
            found[key] = draw(value)
    return found


@st.composite
def experiments(draw) -> str:
    """An experiment file: a random edit of a valid one, or hostile values for each key."""
    if draw(st.booleans()):
        return edited(VALID, draw(EDIT))
    table: dict = {}
    keys = {
        "name": st.one_of(st.sampled_from(["fuzz", "", "a/b", "..", "é", "-x"]), TEXT),
        "question": SCALAR, "days": COUNT, "replications": COUNT,
        "seed": st.one_of(st.integers(-1, 2**64), SCALAR), "scenario": SCENARIO,
        "record_warnings": st.one_of(st.booleans(), SCALAR), "record_series": st.booleans(),
        "record_agents": st.booleans(), "record_dyads": st.one_of(st.booleans(), SCALAR),
        "params": FILE_NAME, "fixed": st.dictionaries(PARAM_NAME, SCALAR, max_size=3),
        "grid": grid(), "sample": sample(), "design": FILE_NAME,
        "metrics": st.dictionaries(TEXT, st.one_of(expressions(), ANY), max_size=2),
        "targets": ANY, PARAM_NAME: ANY,
    }
    for key in draw(st.lists(st.sampled_from(sorted(keys, key=str)), max_size=8, unique=True)):
        name = draw(PARAM_NAME) if key is PARAM_NAME else key
        table[name] = draw(keys[key])
    table.setdefault("days", draw(st.integers(1, 3)))
    table.setdefault("replications", draw(st.integers(1, 2)))
    return document(table)


OPERATORS = ["+", "-", "*", "/", "^", "**", "<", "<=", ">", ">=", "==", "!=", "and", "or"]
FUNCTIONS = ["mean", "median", "sum", "min", "max", "count", "abs", "sqrt", "log", "exp", "if",
             "ifnan", "transpose", "eval", "__import__", ""]
ATOMS = ["plots", "heed_rate", "net_harm", "trust_matrix", "rivalry_matrix", "nan", "0", "1",
         "0.5", "1e308", "1e-308", "'A1'", '"B1"', "'Z9'", "x", ".", "os.system", "'", "(", ")",
         "[", "]", ",", "not", "\\", "é", ""]


def expressions() -> st.SearchStrategy[str]:
    """Metric expressions from the language's own pieces, nested and chained, and garbage."""
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds(lambda a: f"({a})", inner),
            st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(OPERATORS), inner),
            st.builds(lambda a: f"not {a}", inner), st.builds(lambda a: f"-{a}", inner),
            st.builds(lambda f, args: f"{f}({', '.join(args)})", st.sampled_from(FUNCTIONS),
                      st.lists(inner, max_size=3)),
            st.builds(lambda m, k: f"{m}[{k}]", inner, inner),
            st.builds(lambda m, a, b: f"{m}[{a}, {b}]", inner, inner, inner))

    nested = st.builds(lambda k, a: "(" * k + a + ")" * k, st.integers(30, 300),
                       st.sampled_from(ATOMS))
    chained = st.builds(lambda n, op: f" {op} ".join(["plots"] * n), st.integers(100, 3_000),
                        st.sampled_from(OPERATORS))
    return st.one_of(st.recursive(st.sampled_from(ATOMS), extend, max_leaves=12), nested,
                     chained, TEXT)


@st.composite
def scenarios(draw) -> str:
    """A scenario file: agencies with hostile traits, blocs, pairs, shifts and liaison."""
    names = draw(st.lists(st.one_of(st.sampled_from(["A", "B", "C", "A"]), TEXT), max_size=5))
    trait = st.one_of(st.floats(0, 1), NUMBER, SCALAR)
    agencies = [{key: draw(value) for key, value in (
        ("name", st.just(name)), ("bloc", st.one_of(st.sampled_from(["x", "y"]), TEXT)),
        ("capability", trait), ("home_security", trait), ("source_sensitivity", trait),
        ("doctrine", st.one_of(st.sampled_from(["warn_all", "non_rivals", "never"]), SCALAR)),
        ("manipulative", st.one_of(st.booleans(), SCALAR)), ("country", SCALAR),
        ("extra", ANY)) if key == "name" or draw(st.booleans())} for name in names]
    table: dict = {"name": draw(TEXT), "agency": agencies}
    for key, value in (("description", SCALAR), ("blocs", st.dictionaries(TEXT, SCALAR, max_size=2)),
                       ("bloc_rivalry", st.dictionaries(st.sampled_from(["x:y", "y:x", "x:x", "x:z",
                                                                         ":"]), SCALAR, max_size=2)),
                       ("liaison", ANY), ("pair", ANY), ("shift", st.lists(
                           st.dictionaries(st.sampled_from(["day", "between", "rivalry",
                                                            "directed", "a", "b"]), ANY,
                                           max_size=4), max_size=2)), ("other", ANY)):
        if draw(st.booleans()):
            table[key] = draw(value)
    return document(table)


@st.composite
def case_files(draw) -> str:
    columns = draw(st.lists(st.one_of(st.sampled_from([*REQUIRED, *OPTIONAL]), TEXT),
                            min_size=0, max_size=10))
    if draw(st.booleans()):
        columns = [*REQUIRED, *columns[:3]]
    cell = st.one_of(st.sampled_from(["0.5", "1", "3", "private", "relay", "heeded", "dismissed",
                                      "nan", "inf", "1e999", "-1", "", "true", "US", "Russia"]),
                     TEXT)
    rows = draw(st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns) + 1),
                         max_size=3))
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [columns, *rows]:
        writer.writerow(row)
    return edited(out.getvalue(), draw(EDIT))


@st.composite
def design_files(draw) -> str:
    columns = draw(st.lists(PARAM_NAME, min_size=1, max_size=3))
    cell = st.one_of(st.sampled_from(["0.5", "0.2", "1", "default", "world-2024", "zero.toml",
                                      "fifo.toml", "nan", "1e999", "\uff10.\uff15", "", "never"]),
                     TEXT)
    rows = draw(st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns)),
                         max_size=3))
    out = io.StringIO()
    csv.writer(out).writerows([columns, *rows])
    return edited(out.getvalue(), draw(EDIT))


# --- the harness ------------------------------------------------------------------------------

SCENARIO_TEXT = (Path(__file__).resolve().parents[1] / "sim" / "data" / "scenarios" /
                 "default.toml").read_text()


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """A fresh folder (the current one while it is open) holding the inputs' neighbours: a
    valid scenario, parameter and design file, links to /dev/zero, FIFOs, a folder named like a
    file, and a victim file and folder linked from nowhere (they must stay as they are)."""
    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="warnsim-fuzz-") as tmp:
        root = Path(tmp)
        (root / "scenario.toml").write_text(SCENARIO_TEXT)
        (root / "params.toml").write_text("rivalry = 0.4\n")
        (root / "design.csv").write_text("rivalry\n0.1\n0.9\n")
        for name in ("zero.toml", "zero.csv"):
            (root / name).symlink_to("/dev/zero")
        for name in ("fifo.toml", "fifo.csv"):
            os.mkfifo(root / name)
        (root / "folder.toml").mkdir()
        (root / "victim").mkdir()
        (root / "victim" / "keep.txt").write_text("keep\n")
        os.chdir(root)
        try:
            yield root
        finally:
            os.chdir(here)


def snapshot(root: Path, *, skip: str = "out") -> dict[str, str]:
    """Every entry under ``root`` but ``skip`` (names, kinds, contents), links not followed."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] == skip:
            continue
        found[str(rel)] = (f"-> {os.readlink(path)}" if path.is_symlink() else "dir"
                           if path.is_dir() else "fifo" if path.is_fifo() else
                           hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def warnsim(*argv: str) -> tuple[int, str]:
    """``warnsim ARGV`` in-process (stdout discarded): exit status and stderr. Any exception
    (a traceback for a user) fails the test."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(list(argv))
    return status, err.getvalue()


def check(status: int, err: str) -> None:
    """Exit status 0 or 2; a refusal in one line; never a traceback."""
    assert "Traceback" not in err, err
    assert status in (0, 2), (status, err)
    if status == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("warnsim: error: "), err


def run_all(root: Path, *commands: list[str]) -> None:
    before = snapshot(root)
    for argv in commands:
        check(*warnsim(*argv))
    assert snapshot(root) == before, "something outside the output folder changed"


@pytest.fixture(autouse=True, scope="module")
def memory_guard() -> Iterator[None]:
    """At most 3 GB more address space while fuzzing: a regression that reads /dev/zero whole
    again fails with MemoryError here instead of exhausting a shared machine."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/status") as f:
        size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (size + 3 * 2**30, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture
def fake_model(monkeypatch):
    """Fake runs (see the module docstring) whose agencies carry names of the default
    scenario, so that metrics naming them evaluate as they were checked."""
    monkeypatch.setattr("sim.run.simulate", fake)
    monkeypatch.setattr("tests.fake_runs.AGENCIES", ["A1", "B1", "A2"])


SWEEP = ["--out", "out", "--workers", "1", "--quiet"]


@settings(FUZZ, max_examples=40)
@given(text=experiments(), dry=st.booleans())
def test_hostile_experiment_files(fake_model, text, dry):
    with workspace() as root:
        (root / "e.toml").write_text(text)
        run_all(root, ["sweep", "e.toml", *(["--dry-run"] if dry else SWEEP)])


@settings(FUZZ, max_examples=20)
@given(text=experiments(), dry=st.booleans())
def test_hostile_calibration_files(fake_model, text, dry):
    """The same files, with targets, through ``calibrate`` (its sweep, or refused before)."""
    with workspace() as root:
        (root / "c.toml").write_text(text + '[targets.heed]\nstatistic = "heed_rate"\n')
        argv = ["calibrate", "c.toml", *SWEEP] if not dry else ["sweep", "c.toml", "--dry-run"]
        run_all(root, argv)


@settings(FUZZ, max_examples=40)
@given(expression=expressions())
def test_hostile_metrics(fake_model, expression):
    with workspace() as root:
        (root / "m.toml").write_text(VALID.replace(
            'gap = "heed_rate_low_rivalry - heed_rate_high_rivalry"',
            f"gap = {json.dumps(expression, ensure_ascii=False)}"))
        run_all(root, ["sweep", "m.toml", *SWEEP])


@settings(FUZZ, max_examples=30)
@given(text=scenarios())
def test_hostile_scenario_files(text):
    """Scenario files shown resolved, and run by the model itself for two days."""
    with workspace() as root:
        (root / "s.toml").write_text(text)
        run_all(root, ["scenarios", "s.toml"], ["run", "--scenario", "s.toml", "--days", "2"])


@settings(FUZZ, max_examples=40)
@given(text=case_files())
def test_hostile_case_files(text):
    with workspace() as root:
        (root / "c.csv").write_text(text)
        run_all(root, ["cases", "c.csv", "--json"])


@settings(FUZZ, max_examples=40)
@given(text=design_files(), dry=st.booleans())
def test_hostile_designs(fake_model, text, dry):
    with workspace() as root:
        (root / "d.csv").write_text(text)
        (root / "e.toml").write_text('name = "d"\ndays = 2\nreplications = 1\ndesign = "d.csv"\n')
        run_all(root, ["sweep", "e.toml", *(["--dry-run"] if dry else SWEEP)])


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished results folder of ``VALID`` (fake runs) to damage."""
    folder = tmp_path_factory.mktemp("finished")
    (folder / "e.toml").write_text(VALID)
    run_experiment(folder / "e.toml", out=folder / "out", workers=1, progress=False,
                   run_fn=fake)
    return folder


MANIFEST_KEYS = ["fingerprint", "complete", "experiment", "design", "checksums", "runs_total",
                 "runs_failed", "first_failure", "experiment_file", "scenarios", "files"]


@st.composite
def manifests(draw, original: dict) -> str:
    """The finished manifest with keys removed or given hostile values, or any JSON at all,
    or nested thousands deep, or a random edit of its text."""
    kind = draw(st.sampled_from(["edit", "values", "any", "deep"]))
    if kind == "any":
        return json.dumps(draw(ANY), allow_nan=True)
    if kind == "deep":
        return "[" * draw(st.integers(100, 100_000)) + "1"
    found = json.loads(json.dumps(original))
    if kind == "values":
        for key in draw(st.lists(st.sampled_from(MANIFEST_KEYS), max_size=4, unique=True)):
            if draw(st.booleans()):
                found.pop(key, None)
            else:
                found[key] = draw(ANY)
        for name in draw(st.lists(st.sampled_from(["runs.parquet", "warnings.parquet"]),
                                  max_size=2)):
            found.setdefault("checksums", {})
            if isinstance(found["checksums"], dict):
                found["checksums"][name] = draw(ANY)
        return json.dumps(found, allow_nan=True)
    return edited(json.dumps(found, indent=2), draw(EDIT))


@settings(FUZZ, max_examples=12)
@given(data=st.data())
def test_hostile_manifests(fake_model, finished, data):
    """A finished folder with a damaged manifest: resumed, dry-run and analysed."""
    original = json.loads((finished / "out" / "manifest.json").read_text())
    text = data.draw(manifests(original))
    with workspace() as root:
        shutil.copy(finished / "e.toml", root / "e.toml")
        shutil.copytree(finished / "out", root / "out")
        (root / "out" / "manifest.json").write_text(text)
        run_all(root, ["sweep", "e.toml", *SWEEP], ["sweep", "e.toml", "--out", "out",
                                                   "--dry-run"], ["analyze", "out", "--quiet"])
