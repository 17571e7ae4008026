"""The documentation: the site builds strictly and offline, the reference is generated from the
code, the README is a short front page, and no text names material a reader does not have.

* ``mkdocs build --strict`` (a broken link, a missing page in the navigation, a missing included
  file or a docstring the API reference cannot render fails it), and the built pages load nothing
  from outside the site (no web fonts, scripts or style sheets from elsewhere);
* every ``<!-- generated: NAME -->`` marker is replaced, and the command-line reference lists every
  subcommand and option of the parser itself;
* the README: under 250 lines, the two commands, one figure, a ten-line example, and the sections
  another engineer maintains;
* no file names the project's private brief, a path outside the repository or an issue number.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim import docgen
from sim.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          check=False, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-4000:]}"
    return out


def test_the_site_builds_strictly_and_has_every_page(site: Path) -> None:
    for page in ("index.html", "getting-started/index.html", "reference/cli/index.html",
                 "reference/api/index.html", "ODD/index.html", "performance/index.html",
                 "results/validation/report/index.html", "scenarios/index.html"):
        assert (site / page).is_file(), page
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "make demo" in home and "heed_vs_rivalry.png" in home  # README sections included
    assert (site / "results" / "rivalry_heed" / "figures" / "heed_vs_rivalry.png").is_file()


EXTERNAL = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=\"(?:https?:)?//",
                      re.IGNORECASE)


def test_the_built_pages_load_nothing_from_elsewhere(site: Path) -> None:
    loading = {p.relative_to(site).as_posix(): EXTERNAL.findall(p.read_text(encoding="utf-8"))
               for p in site.rglob("*.html")}
    assert not {k: v for k, v in loading.items() if v}
    css = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.css"))
    assert "fonts.googleapis" not in css and "@import url(http" not in css


def test_every_generated_marker_is_replaced(site: Path) -> None:
    pages = [p for p in (ROOT / "docs").rglob("*.md") if "<!-- generated: " in p.read_text("utf-8")]
    assert len(pages) >= 5
    for page in site.rglob("*.html"):
        assert "<!-- generated: " not in page.read_text(encoding="utf-8"), page


def test_the_cli_reference_is_the_parser() -> None:
    parser = build_parser()
    text = docgen.cli_reference(parser)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert len(sub.choices) >= 14
    for name, command in sub.choices.items():
        assert f"## `warnsim {name}`" in text
        for action in command._actions:
            if action.help == argparse.SUPPRESS:
                assert not any(f"`{flag}" in text for flag in action.option_strings if flag != "-h")
                continue
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in text, (name, flag)
    # a new option appears without anyone writing it down
    runner = sub.choices["run"]
    runner.add_argument("--brand-new-option", help="documented by itself")
    assert "`--brand-new-option BRAND_NEW_OPTION`" in docgen.cli_reference(parser)


def test_every_declared_key_is_in_the_file_reference() -> None:
    from sim.calibration.config import TARGET_KEYS
    from sim.cases import COLUMNS
    from sim.scenarios import AGENCY_KEYS, SHIFT_KEYS
    from sim.sweep.experiment import KEYS

    for name, keys in (("experiment_keys", list(KEYS)), ("case_columns", [k.name for k in COLUMNS]),
                       ("scenario_keys", [k.name for k in (*AGENCY_KEYS, *SHIFT_KEYS)]),
                       ("calibration_keys", [k.name for k in TARGET_KEYS])):
        text = docgen.render(name)
        for key in keys:
            assert f"`{key}`" in text, (name, key)
    with pytest.raises(KeyError, match="unknown; allowed: cli"):
        docgen.render("no_such_page")


def test_the_readme_is_a_short_front_page() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 250
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    for kept in ("Two commands", "Exit statuses", "Trust and security"):
        assert kept in headings, kept
    assert "make demo" in text and "make test" in text
    assert len(re.findall(r"^!\[", text, flags=re.MULTILINE)) == 1
    examples = re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    assert len(examples) == 1 and len(examples[0].splitlines()) <= 10
    assert ".venv/bin/activate" in text  # how to get `warnsim` on PATH after the two commands


# --- no material a reader does not have --------------------------------------------------------
PRIVATE = re.compile(r"MODEL-BRIEF|\.\./shared/|\bthe brief\b|\bbrief\b[,:']|\bissues? #?\d+",
                     re.IGNORECASE)
PENDING = {
}
"""Files still naming the brief or an issue, each to be mended by whoever owns it."""


def test_no_file_names_material_a_reader_does_not_have() -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    hits: dict[str, str] = {}
    for name in filter(None, listed):
        path = ROOT / name
        if not path.is_file() or path.suffix in (".png", ".pdf", ".parquet", ".ipynb") \
                or name == "tests/test_docs.py":
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found = PRIVATE.search(text)
        if found:
            hits[name] = found.group(0)
    assert set(hits) - set(PENDING) == set(), {k: hits[k] for k in set(hits) - set(PENDING)}
    mended = set(PENDING) - set(hits)
    assert not mended, f"mended: remove {sorted(mended)} from PENDING in tests/test_docs.py"
