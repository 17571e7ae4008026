"""Parameter files: a set of model parameter values in a small TOML file.

A parameter file holds ``name = value`` lines at its top level (comments allowed), any subset
of the parameters declared in :mod:`sim.params`; the others keep their defaults. It is what
``warnsim calibrate`` writes for the best-supported parameter set, and what
``warnsim run --params FILE`` and an experiment file's ``params = "FILE"`` read, so a
calibrated set is used without copying numbers by hand. Every value is checked against the
declarations: an unknown key or an out-of-range value is one :class:`~sim.errors.UserError`
naming the file and the key.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from sim import files
from sim import params as P
from sim.errors import UserError

MAX_BYTES = int(files.Cap.PARAMS)
"""Largest parameter file read (a full set of every parameter is about 3 kB)."""


@dataclass(frozen=True, slots=True)
class ParamFile:
    """A parameter file's checked values (declaration order), its text and its hash."""

    path: Path
    values: Mapping[str, Any]
    text: str
    sha256: str


def read_params(path: str | Path) -> ParamFile:
    """Read and check a parameter file; any problem is one :class:`UserError`."""
    path = Path(path)
    raw = files.read_bytes(path, cap=MAX_BYTES, what="parameter file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc})") from None
    return ParamFile(path, parse_params(text, origin=str(path)), text,
                     hashlib.sha256(raw).hexdigest())


def parse_params(text: str, *, origin: str) -> dict[str, Any]:
    """The checked values of parameter-file ``text``, in declaration order."""
    data = files.parse_toml(text, origin=origin)
    for key, value in data.items():
        if isinstance(value, dict | list):
            raise UserError(f"{origin}: {key}: got a {'table' if isinstance(value, dict) else 'list'}; "
                            "allowed: name = value lines of model parameters (see `warnsim params`)")
    values = P.check_mapping(data, origin=origin)
    return {name: values[name] for name in P.PARAMETERS if name in values}


def format_params(values: Mapping[str, Any], comments: Iterable[str] = ()) -> str:
    """The text of a parameter file holding ``values`` (declaration order), with ``comments``
    as ``#`` lines on top and each parameter's label and unit beside its value."""
    lines = [f"# {c}".rstrip() for c in comments]
    for name in P.PARAMETERS:
        if name not in values:
            continue
        spec = P.PARAMETERS[name]
        unit = f", {spec.unit}" if spec.unit and spec.unit != "-" else ""
        lines.append(f"{name} = {_toml(values[name])}  # {spec.label}{unit}")
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value}")
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"cannot write {value!r} to a parameter file")
