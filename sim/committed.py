"""Committed results stay as committed: which output files git tracks, and the guard on them.

The tables, figures and reports under ``results/`` are committed so that papers and the
documentation can show them. A command run with the options that made them regenerates them
in place (that is how they are reproduced); a command run with other options (a quick
validation, a re-scored calibration, tables split or pooled differently) must not replace them
with different ones. Such commands write somewhere else by default, or refuse without
``--force``, saying so in one line (:func:`refuse_replacing`).

"Committed" means tracked by git in the repository that holds the folder. Outside a git
repository, or without git, nothing is committed and nothing is refused.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from sim.errors import UserError


def tracked(folder: Path) -> list[Path]:
    """The files under ``folder`` that git tracks (empty outside a repository or without git)."""
    folder = Path(folder)
    git = shutil.which("git")
    if git is None or not folder.is_dir():
        return []
    try:
        listed = subprocess.run([git, "ls-files", "-z", "--", "."], cwd=folder, check=True,
                                capture_output=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):  # not a repository, or git failed: none
        return []
    return [folder / name for name in listed.decode("utf-8", "replace").split("\0") if name]


def refuse_replacing(folders: Iterable[Path], *, why: str, force: bool, instead: str) -> None:
    """Stop with one line when any of ``folders`` holds committed files that the command would
    replace with different ones (``why`` says which option makes them different), unless
    ``force``. ``instead`` says what to do rather than replacing them."""
    if force:
        return
    for folder in folders:
        if tracked(folder):
            raise UserError(f"{folder}/ holds committed results, and {why} would replace them "
                            f"with different ones; {instead}, or add --force to replace them")
