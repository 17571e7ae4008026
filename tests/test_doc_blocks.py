"""Every documented block runs verbatim on a fresh clone after the two commands.

Each page (the README and every Markdown file under ``docs/``) runs in its own copy of a fresh
clone (the files git would check out) in which the demo has run, with the environment activated,
as a reader following the page would have it. Its blocks run in order:

* ```` ```sh ```` blocks with bash (``set -e``: every command must succeed);
* ```` ```python ```` blocks with the environment's Python;
* ```` ```console ```` blocks: each ``$ command`` runs and must print exactly the lines shown;
* a block with ``title="FILE"`` (a TOML or CSV file shown in full) is written to FILE first
  (a FILE under ``/tmp/`` into the sandbox, as for the commands).

Long-running work runs **shrunk**, as declared below and nowhere else: the sandbox's experiment
files and notebooks get smaller sizes (:data:`SHRINK`), a few commands take smaller options
(:data:`SHRUNK_COMMANDS`), and paths under ``/tmp/`` point into the sandbox. Commands that
cannot finish on their own or would change the environment itself are not run
(:data:`NOT_RUN`, each with the reason and the test that covers it). Every declaration must
match something in the documents, so the lists cannot outlive what they describe.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
PAGES = sorted([ROOT / "README.md",
                *(p for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts)])

SHRINK: dict[str, tuple[str, str]] = {
    # key in an experiment file: (value pattern, shrunk value); applied to experiments/*.toml
    "days": (r"\d+", "30"),
    "replications": (r"\d+", "3"),
    "n": (r"\d+", "8"),                # LHS points; also a power of 2 for Sobol designs
    "trajectories": (r"\d+", "2"),     # Morris
    "confirm": (r"\d+", "2"),          # calibration's confirmation runs
    "generations": (r"\d+", "2"),      # ABC-SMC's generations after the prior sample
    "predictive": (r"\d+", "4"),       # ABC-SMC's posterior predictive draws
}
"""Smaller experiments: one-year runs and hundreds of replications become a few 30-day runs."""

SHRUNK_COMMANDS: dict[str, str] = {
    "warnsim validate                       # the full report for the defaults (minutes on 2 cores)":
        "warnsim validate --only wickens_dixon --replications 2 --force",
    "warnsim validate --quick               # fewer replications, wider intervals: into "
    "results/validation-quick/":
        "warnsim validate --quick --only wickens_dixon --replications 2",
    "warnsim validate --set action_cost=0.5 --out results/validation-cost   # another parameter set":
        "warnsim validate --set action_cost=0.5 --out results/validation-cost --only wickens_dixon "
        "--replications 2",
    "warnsim validate --quick --out /tmp/validation-posterior --set home_interdiction=0.8274 "
    "--set interdiction_effect=0.4225 --set stake_cost=0.307 --set reputation_weight=0.6738 "
    "--set rivalry_gain=4.589 --set choice_temperature=0.09223":
        "warnsim validate --quick --out /tmp/validation-posterior --set home_interdiction=0.8274 "
        "--set interdiction_effect=0.4225 --set stake_cost=0.307 --set reputation_weight=0.6738 "
        "--set rivalry_gain=4.589 --set choice_temperature=0.09223 --only wickens_dixon "
        "--replications 2",
    "warnsim attainability experiments/calibration.toml    # 24 points + defaults + posterior "
    "medians":
        "warnsim attainability experiments/calibration.toml --points 1 --replications 10 "
        "--references same --only rivalry --quiet",
    # a shrunk calibration is not the committed one, which it may replace only with --force
    "warnsim calibrate experiments/calibration.toml            # into results/calibration/":
        "warnsim calibrate experiments/calibration.toml --force --quiet",
    "warnsim calibrate experiments/calibration.toml           # ABC-SMC: resumable, into "
    "results/calibration/":
        "warnsim calibrate experiments/calibration.toml --force --quiet",
    "result = validate(ValidationOptions(out=Path(\"/tmp/validation\"), quick=True, workers=2))":
        "result = validate(ValidationOptions(out=Path(\"/tmp/validation\"), quick=True, workers=2,"
        " only=(\"wickens_dixon\",), replications=2))",
    "python scripts/sensitivity_design.py       # writes experiments/sensitivity.toml from the screen":
        "python scripts/sensitivity_design.py && sed -i -e 's/^n = .*/n = 8/' -e "
        "'s/^days = .*/days = 30/' -e 's/^replications = .*/replications = 2/' "
        "experiments/sensitivity.toml",
}
"""Documented lines run with smaller sizes: the full validation takes minutes, the Sobol
design written from the screen is full size, and the shrunk calibration differs from the
committed one (whose folder it replaces only with ``--force``)."""

NOT_RUN: dict[str, str] = {
    "make demo": "the state every page starts from (its recipe runs, shrunk, to make it)",
    "make test": "this test suite",
    "--dask tcp://scheduler:8786": "needs a Dask cluster (tests/test_sweep_engine.py runs one)",
    "pip install": "would reinstall warnsim into the environment every test shares "
                   "(make test installs every extra)",
}
"""Commands (matched as the start of a line, or anywhere for an option) that are not run; each
appears in some block."""

SERVERS: dict[str, str] = {
    "make docs": "serves the site until stopped (tests/test_docs.py builds it)",
    "make figures": "every experiment in full (tests/test_committed_experiments.py runs each)",
    "warnsim view": "serves the view until stopped (tests/test_view_browser.py drives it)",
    "make view": "serves the view until stopped (tests/test_view_browser.py drives it)",
    "warnsim explore": "serves the page until stopped (its own browser test drives it)",
    "make screenshot": "rewrites the committed screenshot (tests/test_view_browser.py)",
    "make bench": "benchmarks take minutes, and their figures are the performance page's",
    "make validate": "the full validation (the validate blocks run shrunk)",
}
"""Commands never run, whether or not a page shows them yet: they serve until stopped or run
for many minutes, so a page that adds one must not hang the suite."""


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    kind: str
    title: str
    text: str


FENCE = re.compile(r"^```(\w*)(.*)$")


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a page, in order, with their language and ``title``."""
    found, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        title = re.search(r'title="([^"]+)"', opened.group(2))
        found.append(Block(path.relative_to(ROOT).as_posix(), i + 1, opened.group(1),
                           title.group(1) if title else "", "\n".join(lines[i + 1:end]) + "\n"))
        i = end + 1
    return found


def _not_run(line: str) -> str | None:
    stripped = line.strip()
    for command, reason in (NOT_RUN | SERVERS).items():
        if stripped.startswith(command) or (command.startswith("--") and command in stripped):
            return reason
    return None


def _prepare(text: str, sandbox: Path) -> str:
    """The block as it runs: declared shrinks applied, declared commands left out, /tmp/ kept
    inside the sandbox."""
    lines = []
    for written in text.splitlines():
        line = SHRUNK_COMMANDS.get(written, written)
        lines.append(": not run" if _not_run(line) else line)
    return "\n".join(lines).replace("/tmp/", f"{sandbox}/tmp/") + "\n"


def _shrink(folder: Path) -> None:
    for path in (folder / "experiments").glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        for key, (value, small) in SHRINK.items():
            text = re.sub(rf"^{key} = {value}", f"{key} = {small}", text, flags=re.MULTILINE)
        path.write_text(text, encoding="utf-8")
    import nbformat

    from tests.test_notebooks import SMALL
    for name, source in SMALL.items():
        path = folder / "docs" / "notebooks" / name
        notebook = nbformat.read(path, as_version=4)
        next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])).source = source
        nbformat.write(notebook, path)


def _env(sandbox: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
            "VIRTUAL_ENV": str(VENV_BIN.parent), "MPLBACKEND": "Agg", "NO_COLOR": "1",
            "TMPDIR": str(_short(sandbox / "tmp"))}


def _short(folder: Path) -> Path:
    """A short path to ``folder`` (a symbolic link in the system's temporary folder): programs put
    Unix sockets under TMPDIR (Chromium its SingletonSocket), whose paths must stay under 108
    bytes, which the sandbox's path under pytest's temporary folder exceeds."""
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    link = Path(tempfile.gettempdir()) / f"warnsim-doc-{digest}"
    if not link.is_symlink():
        link.symlink_to(folder, target_is_directory=True)
        _LINKS.append(link)
    return link


_LINKS: list[Path] = []
"""The links :func:`_short` made, removed when the session ends."""


@pytest.fixture(scope="session", autouse=True)
def _remove_short_links():
    yield
    for link in _LINKS:
        link.unlink(missing_ok=True)


def _run(args: list[str], sandbox: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=False, cwd=sandbox, input=stdin, capture_output=True, text=True,
                          env=_env(sandbox), timeout=600)


def make_clone(base: Path) -> Path:
    """A fresh clone's files in ``base`` after ``make demo`` (its recipe, on the shrunk
    experiment), the environment linked in as ``.venv``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (base / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, base / name)
    (base / ".venv").symlink_to(VENV_BIN.parent)
    (base / "tmp").mkdir()
    _shrink(base)
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", (base / "Makefile").read_text(), re.MULTILINE)
    assert recipe, "the Makefile's demo target"
    for command in recipe.group(1).split("\n"):
        if command.strip():
            done = _run(["bash", "-c", command.strip().replace("$(BIN)/", "")], base)
            assert done.returncode == 0, f"make demo: {command}\n{done.stderr[-2000:]}"
    # On a real clone `make demo` compiles the clone's own kernels into its numba cache; here
    # `warnsim` is the environment's (this checkout's) package, while a page's Python blocks
    # import the clone's copy. So the clone gets the state `make demo` leaves: this checkout's
    # compiled kernels (made current here first; numba keys them by the sources' size and
    # time, which the copies keep), loaded, or compiled if any is missing, in the clone.
    from sim.run import warm

    warm()
    (base / "sim" / "__pycache__").mkdir(exist_ok=True)
    for cached in (ROOT / "sim" / "__pycache__").glob("*.nb[ic]"):
        shutil.copy2(cached, base / "sim" / "__pycache__" / cached.name)
    done = _run([sys.executable, "-c", "from sim.run import warm; warm()"], base)
    assert done.returncode == 0, f"warming the clone's kernels\n{done.stderr[-2000:]}"
    return base


@pytest.fixture(scope="session")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clone(tmp_path_factory.mktemp("clone") / "warnsim")


def run_block(block: Block, sandbox: Path) -> None:
    """Run one block in ``sandbox`` (or write it, for a titled file); fail naming its line."""
    where = f"{block.page}:{block.line}"
    if block.title:  # a file shown in full; under /tmp/ it goes into the sandbox, as paths do
        path = Path(block.title.replace("/tmp/", f"{sandbox}/tmp/", 1)
                    if block.title.startswith("/tmp/") else sandbox / block.title)
        path.write_text(block.text, encoding="utf-8")
    elif block.kind == "sh":
        done = _run(["bash", "-e", "-c", _prepare(block.text, sandbox)], sandbox)
        assert done.returncode == 0, f"{where}: exit {done.returncode}\n{done.stderr[-3000:]}"
    elif block.kind == "python":
        done = _run([sys.executable, "-"], sandbox, stdin=_prepare(block.text, sandbox))
        assert done.returncode == 0, f"{where}:\n{done.stderr[-3000:]}"
    elif block.kind == "console":
        _console(block, sandbox)


def _console(block: Block, sandbox: Path) -> None:
    shown: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            shown.append((line[2:], []))
        else:
            assert shown, f"{block.page}:{block.line}: a console block starts with '$ '"
            shown[-1][1].append(line.rstrip())
    for command, expected in shown:
        done = _run(["bash", "-c", _prepare(command, sandbox)], sandbox)
        printed = [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]
        assert printed == expected, f"{block.page}:{block.line}: $ {command}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_documented_blocks_run_verbatim(page: Path, clone: Path, tmp_path: Path) -> None:
    sandbox = tmp_path / "warnsim"
    shutil.copytree(clone, sandbox, symlinks=True)
    for block in blocks(page):
        run_block(block, sandbox)


def test_the_declarations_match_the_documents() -> None:
    shown = "\n".join(b.text for p in PAGES for b in blocks(p))
    lines = set(shown.splitlines())
    for line in SHRUNK_COMMANDS:
        assert line in lines, f"SHRUNK_COMMANDS: {line!r} is in no block"
    for command in NOT_RUN:
        assert command in shown, f"NOT_RUN: {command!r} is in no block"
    runnable = [b for p in PAGES for b in blocks(p) if b.kind in ("sh", "python", "console")]
    assert len(runnable) >= 30
    kinds = {b.kind for p in PAGES for b in blocks(p)}
    assert kinds <= {"sh", "python", "console", "toml", "csv", "text", ""}, kinds


def test_a_failing_block_fails(tmp_path: Path) -> None:
    """The runner reports a block whose command fails, and a console block whose output differs."""
    (tmp_path / "tmp").mkdir()
    done = _run(["bash", "-e", "-c", _prepare("warnsim run --set rivalry=1.5\necho unreachable\n",
                                             tmp_path)], tmp_path)
    assert done.returncode == 2 and "unreachable" not in done.stdout
    block = Block("x.md", 1, "console", "", "$ warnsim run --set rivalry=1.5\nwarnsim: error: no\n")
    with pytest.raises(AssertionError, match=r"x.md:1: \$ warnsim run"):
        _console(block, tmp_path)


def test_a_file_shown_under_tmp_is_written_into_the_sandbox(tmp_path: Path) -> None:
    """A page's ``title="/tmp/FILE"`` block lands where its commands, rewritten, look for it."""
    (tmp_path / "tmp").mkdir()
    run_block(Block("x.md", 1, "toml", "/tmp/shown.toml", "a = 1\n"), tmp_path)
    assert (tmp_path / "tmp" / "shown.toml").read_text(encoding="utf-8") == "a = 1\n"
    run_block(Block("x.md", 2, "csv", "local.csv", "x\n1\n"), tmp_path)
    assert (tmp_path / "local.csv").read_text(encoding="utf-8") == "x\n1\n"
