"""What ``warnsim view`` was started with, and the scenarios a session may choose from.

A session picks its scenario from a list the server makes: the built-in scenarios and the
``.toml`` files under the folder named at start-up (``--scenarios DIR``), or the one file named
by ``--scenario FILE``. A value that is not on the list is refused, whatever the page sends, so
no client can make the server read another file or learn whether it exists. Files are read with
a size cap and only when they are regular files inside the folder (a symlink pointing out of it
is not offered), and their errors name the file by its place in the folder, never by a server
path.

:class:`ViewConfig` reaches the page (which Solara imports and runs in the same process) through
one environment variable set by :func:`sim.viz.server.serve`, read when a session starts.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import UserError
from sim.scenarios import Scenario, load_scenario, parse_scenario, scenario_names
from sim.viz.limits import SessionLimits

CONFIG_VARIABLE = "WARNSIM_VIEW"
"""How ``warnsim view`` hands its settings to the page (JSON of :class:`ViewConfig`)."""

MAX_SCENARIO_FILES = 200
"""At most this many files of the scenarios folder are offered (the first, in sorted order)."""

MAX_SCENARIO_BYTES = 1_000_000
"""A scenario file larger than this is refused (the built-in ones are under 10 kB)."""


@dataclass(frozen=True, slots=True)
class ScenarioChoices:
    """The built-in scenarios, then the files under ``folder`` (or the one ``file``)."""

    folder: Path | None = None
    file: Path | None = None

    def files(self) -> dict[str, Path]:
        """Label (the path inside the folder, or the file's name) -> resolved path."""
        if self.file is not None:
            return {self.file.name: self.file}
        if self.folder is None:
            return {}
        found: dict[str, Path] = {}
        root = self.folder
        for here, dirs, names in os.walk(root, followlinks=False):
            dirs.sort()
            for name in sorted(names):
                if not name.endswith(".toml"):
                    continue
                path = Path(here) / name
                target = path.resolve()
                if target.is_relative_to(root) and target.is_file():
                    found[path.relative_to(root).as_posix()] = target
                if len(found) >= MAX_SCENARIO_FILES:
                    return found
        return found

    def labels(self) -> list[str]:
        return [*scenario_names(), *self.files()]

    def load(self, label: object) -> Scenario:
        """The scenario a session chose; anything not offered is refused in one line."""
        if isinstance(label, str) and label in scenario_names():
            return load_scenario(label)
        files = self.files()
        if not isinstance(label, str) or label not in files:
            offered = ", ".join([*scenario_names(), *files])
            raise UserError(f"scenario: {repr(label)[:60]} is not offered; allowed: {offered}")
        return parse_scenario(_read_bounded(files[label], label), origin=f"scenario {label}")


def _read_bounded(path: Path, label: str) -> str:
    """The text of a regular file, read with a cap counted while reading (a file's reported
    size can be 0 for devices and FIFOs); errors name ``label``, not the server's path."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise UserError(f"scenario {label}: cannot be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UserError(f"scenario {label}: not a regular file")
        data = handle.read(MAX_SCENARIO_BYTES + 1)
    if len(data) > MAX_SCENARIO_BYTES:
        raise UserError(f"scenario {label}: larger than {MAX_SCENARIO_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"scenario {label}: not UTF-8 text") from None


@dataclass(frozen=True, slots=True)
class ViewConfig:
    """The first scenario of each session, where scenario files come from, the session limits."""

    scenario: str = "default"
    folder: str | None = None
    file: str | None = None
    limits: SessionLimits = field(default_factory=SessionLimits)
    isolate: bool = False
    """Each session's model in a process of its own (``warnsim view``: :mod:`sim.viz.worker`);
    in this process otherwise (Jupyter)."""

    @property
    def choices(self) -> ScenarioChoices:
        return ScenarioChoices(folder=Path(self.folder) if self.folder else None,
                               file=Path(self.file) if self.file else None)

    @classmethod
    def start(cls, scenario: str, folder: str | Path | None, limits: SessionLimits) -> ViewConfig:
        """Check what ``warnsim view`` was given (one-line errors) and settle the first scenario.

        ``scenario`` is a built-in name; with ``folder``, a file in it (by its path inside the
        folder, or any path to it); without, a path to one file, then the only file offered."""
        if folder is not None:
            root = Path(folder).resolve()
            if not root.is_dir():
                raise UserError(f"--scenarios: {folder} is not a folder")
            config = cls(scenario=scenario, folder=str(root), limits=limits)
            if scenario not in scenario_names():
                files = config.choices.files()
                wanted = Path(scenario).resolve()
                label = scenario if scenario in files else next(
                    (k for k, v in files.items() if v == wanted), None)
                if label is None:
                    raise UserError(f"--scenario: {scenario!r} is neither a built-in scenario "
                                    f"nor a .toml file under --scenarios {folder}; allowed: "
                                    + ", ".join(config.choices.labels()))
                config = cls(scenario=label, folder=str(root), limits=limits)
        elif scenario in scenario_names():
            config = cls(scenario=scenario, limits=limits)
        else:
            path = Path(scenario)
            if path.suffix != ".toml" or not path.exists():
                load_scenario(scenario)  # the usual one-line error for an unknown name
            if not path.is_file():
                raise UserError(f"scenario: {scenario} is not a file")
            config = cls(scenario=path.name, file=str(path.resolve()), limits=limits)
        config.choices.load(config.scenario)  # a bad file fails here, in one line
        return config

    def to_env(self) -> str:
        return json.dumps({"scenario": self.scenario, "folder": self.folder, "file": self.file,
                           "limits": self.limits.to_dict(), "isolate": self.isolate})

    @classmethod
    def from_env(cls, default_scenario: str | None = None) -> ViewConfig:
        """The settings ``warnsim view`` left in the environment, or the defaults (in Jupyter,
        ``Page(scenario=...)`` names a built-in scenario)."""
        text = os.environ.get(CONFIG_VARIABLE)
        if not text:
            return cls(scenario=default_scenario or "default")
        data = json.loads(text)
        return cls(scenario=default_scenario or data["scenario"], folder=data["folder"],
                   file=data["file"], limits=SessionLimits(**data["limits"]),
                   isolate=data["isolate"])
