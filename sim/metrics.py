"""User-defined metrics: named expressions over one run's outcomes and final matrices.

An experiment file may add columns to ``runs.parquet`` (NetLogo BehaviorSpace's "reporters"):

.. code-block:: toml

    [metrics]
    heed_gap = "heed_rate_low_rivalry - heed_rate_high_rivalry"
    harm_per_plot = "net_harm / plots"
    trust_in_rivals = "mean(trust_matrix[rivalry_matrix >= 0.5])"
    b1_trusts_a1 = 'trust_matrix["B1", "A1"]'
    my_metric = { function = "mypackage.metrics.my_metric" }

**The language** (parsed here, by a small recursive-descent parser over a linear tokenizer;
never handed to ``eval``; at most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` levels of
nesting, so that no expression can exhaust the parser's time or stack):

* numbers (``0.5``, ``1e-3``), ``nan``, and every outcome name of :mod:`sim.outcomes` (the run's
  value, NaN where undefined);
* ``trust_matrix`` (recipient's perceived benevolence of the sender) and ``rivalry_matrix``
  (rivalry of the row agency toward the column agency), both at the end of the run; an
  agency and itself (the diagonal) never count;
* ``M["B1", "A1"]``: one entry, by agency names (row, column); ``M[mask]``: the entries where a
  mask is true, as a list of values;
* arithmetic ``+ - * /`` and ``^`` (power), elementwise on matrices; comparisons ``< <= > >= ==
  !=`` give 1 or 0 between numbers and a mask between matrices; ``and``, ``or``, ``not``;
* functions: ``mean``, ``median``, ``sum``, ``min``, ``max``, ``count`` over a matrix, a mask or a
  list of values (NaN entries skipped; ``count`` counts the true entries of a mask or the values
  that are not NaN); ``min``/``max`` of two or more numbers; ``abs``, ``sqrt``, ``log``, ``exp``;
  ``if(condition, a, b)``; ``ifnan(x, fallback)``; ``transpose(M)``.

**Shapes** are checked when the file is loaded too: two lists of values combine elementwise only
when the same mask selects both (``trust_matrix[m] - rivalry_matrix[m]``); lists selected by
different masks can differ in length from run to run, so they are refused.

**Undefined values** follow the outcomes' rule: a division by zero, the mean of nothing or an
outcome that is NaN in the run give NaN for that run (the statistics skip NaN and say how many
runs they used). A metric must give a number: every problem of syntax, name or type is found
when the experiment file is loaded, before anything runs, and reported in one line naming the
metric.

**A Python function** instead of an expression: ``{ function = "package.module.name" }``, a
function importable on the Python path (installed, or a module in the folder the command is
started from, whether as ``warnsim`` or ``python -m sim``) called as
``name(outcomes, trust_matrix, rivalry_matrix, agencies)`` with the outcomes as a dict, the
matrices as NumPy arrays (NaN diagonal) and the agency names in their order; it must return a
real number. **This runs code**: importing the module runs whatever it holds. So a function is
only checked for the form of its path when a file is read (``--dry-run`` imports nothing), and
is imported and called only after an explicit opt-in: ``compile_metric(..., trust_code=True)``,
:meth:`Metric.trusted`, or ``--trust-code`` on the command line (README, "Trust and security").
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from sim.errors import UserError
from sim.outcomes import OUTCOME_NAMES

__all__ = ["MATRICES", "Metric", "MetricError", "compile_metric", "evaluate", "parse_metrics"]

MATRICES: tuple[str, ...] = ("trust_matrix", "rivalry_matrix")
"""The matrix names an expression may use (the keys of ``warnsim run --json``)."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")

MAX_LENGTH = 10_000
"""Longest expression, in characters (the longest in the repository's experiments is 60)."""

MAX_DEPTH = 40
"""Deepest nesting of an expression: parentheses, function arguments, indices, signs and
powers (``a ^ b ^ c`` nests to the right). Chains of ``+ - * / and or`` do not nest: a sum of a
thousand terms is one level."""


class MetricError(UserError, ValueError):
    """A metric the language does not allow; the message names the metric."""


# --- types ---------------------------------------------------------------------------------------
class Kind(Enum):
    NUMBER = "a number"
    MATRIX = "a matrix"
    MASK = "a mask"
    VALUES = "a list of values"
    TEXT = "a text"


_N, _M, _K, _V, _T = Kind.NUMBER, Kind.MATRIX, Kind.MASK, Kind.VALUES, Kind.TEXT
_AGGREGATES = frozenset({"mean", "median", "sum", "min", "max", "count"})
_UNARY = {"abs": abs, "sqrt": math.sqrt, "log": math.log, "exp": math.exp}
_FUNCTIONS = sorted(_AGGREGATES | set(_UNARY) | {"if", "ifnan", "transpose"})
_KEYWORDS = frozenset({"and", "or", "not", "nan"})


# --- syntax tree -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Num:
    value: float


@dataclass(frozen=True, slots=True)
class _Text:
    value: str
    pos: int


@dataclass(frozen=True, slots=True)
class _Name:
    name: str


@dataclass(frozen=True, slots=True)
class _Unary:
    op: str
    arg: Any


@dataclass(frozen=True, slots=True)
class _Binary:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class _Chain:
    """``first op1 x1 op2 x2 ...``, evaluated left to right (one node, not a deep tree)."""

    first: Any
    rest: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class _Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class _Index:
    target: Any
    keys: tuple[Any, ...]


# --- tokens and parser -------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
      (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<str>"[^"]*"|'[^']*')
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>\*\*|<=|>=|==|!=|[-+*/^<>()\[\],])
    """, re.VERBOSE)
_SPACE = re.compile(r"\s*")


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise self.error(f"{len(text):,} characters; allowed: an expression of at most "
                             f"{MAX_LENGTH:,} characters")
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        self.depth = 0
        pos = _SPACE.match(text).end()  # type: ignore[union-attr]
        while pos < len(text):  # each step consumes a token: linear in the text's length
            m = _TOKEN.match(text, pos)
            if m is None:
                raise self.error(f"unexpected character {text[pos]!r}", pos)
            kind = m.lastgroup
            assert kind is not None
            self.tokens.append((kind, m.group(kind), pos))
            pos = _SPACE.match(text, m.end()).end()  # type: ignore[union-attr]
        self.i = 0

    def nest(self) -> None:
        """One level deeper (see :data:`MAX_DEPTH`); callers undo it with :meth:`unnest`."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            tok = self.peek()
            raise self.error(f"nested more than {MAX_DEPTH} levels deep; allowed: at most "
                             f"{MAX_DEPTH} (split the expression into several metrics)",
                             tok[2] if tok else len(self.text))

    def unnest(self) -> None:
        self.depth -= 1

    def error(self, message: str, pos: int | None = None) -> MetricError:
        where = f"position {pos + 1}: " if pos is not None else ""
        return MetricError(f"{where}{message}")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def accept(self, *values: str) -> str | None:
        tok = self.peek()
        if tok is not None and tok[0] in ("op", "name") and tok[1] in values:
            self.i += 1
            return tok[1]
        return None

    def expect(self, value: str) -> None:
        if self.accept(value) is None:
            tok = self.peek()
            got = f"{tok[1]!r}" if tok else "the end"
            raise self.error(f"expected {value!r}, found {got}", tok[2] if tok else len(self.text))

    def parse(self) -> Any:
        if not self.tokens:
            raise self.error("empty expression")
        node = self.or_()
        tok = self.peek()
        if tok is not None:
            raise self.error(f"unexpected {tok[1]!r}", tok[2])
        return node

    def or_(self) -> Any:
        self.nest()
        node = self.chain(self.and_, "or")
        self.unnest()
        return node

    def chain(self, operand: Callable[[], Any], *ops: str) -> Any:
        """``operand (op operand)*`` as one :class:`_Chain` (left to right)."""
        first, rest = operand(), []
        while op := self.accept(*ops):
            rest.append((op, operand()))
        return _Chain(first, tuple(rest)) if rest else first

    def and_(self) -> Any:
        return self.chain(self.not_, "and")

    def not_(self) -> Any:
        if self.accept("not"):
            self.nest()
            node = _Unary("not", self.not_())
            self.unnest()
            return node
        return self.comparison()

    def comparison(self) -> Any:
        node = self.sum()
        op = self.accept("<", "<=", ">", ">=", "==", "!=")
        if op:
            node = _Binary(op, node, self.sum())
            if self.accept("<", "<=", ">", ">=", "==", "!="):
                raise self.error("chained comparisons are not allowed; join them with and")
        return node

    def sum(self) -> Any:
        return self.chain(self.term, "+", "-")

    def term(self) -> Any:
        return self.chain(self.unary, "*", "/")

    def unary(self) -> Any:
        sign = self.accept("-", "+")
        if sign is None:
            return self.power()
        self.nest()
        node = self.unary()
        self.unnest()
        return _Unary("-", node) if sign == "-" else node

    def power(self) -> Any:
        node = self.postfix()
        if self.accept("^", "**"):
            self.nest()
            right = self.unary()
            self.unnest()
            return _Binary("^", node, right)
        return node

    def postfix(self) -> Any:
        node = self.primary()
        while self.accept("["):
            keys = [self.or_()]
            while self.accept(","):
                keys.append(self.or_())
            self.expect("]")
            node = _Index(node, tuple(keys))
        return node

    def primary(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise self.error("incomplete expression", len(self.text))
        kind, value, pos = tok
        self.i += 1
        if kind == "num":
            return _Num(float(value))
        if kind == "str":
            return _Text(value[1:-1], pos)
        if kind == "name":
            if value == "nan":
                return _Num(math.nan)
            if value in _KEYWORDS:
                raise self.error(f"unexpected {value!r}", pos)
            if self.accept("("):
                args: list[Any] = []
                if not self.accept(")"):
                    args.append(self.or_())
                    while self.accept(","):
                        args.append(self.or_())
                    self.expect(")")
                if value not in _FUNCTIONS:
                    raise self.error(f"unknown function {value!r}{_suggest(value, _FUNCTIONS)}; "
                                     f"allowed: {', '.join(_FUNCTIONS)}", pos)
                return _Call(value, tuple(args))
            if value not in OUTCOME_NAMES and value not in MATRICES:
                raise self.error(
                    f"unknown name {value!r}{_suggest(value, (*OUTCOME_NAMES, *MATRICES))}; allowed: "
                    "an outcome (the keys of `warnsim run --json`), " + " or ".join(MATRICES), pos)
            return _Name(value)
        if value == "(":
            node = self.or_()
            self.expect(")")
            return node
        raise self.error(f"unexpected {value!r}", pos)


def _suggest(name: str, allowed: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, allowed, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- type checking -------------------------------------------------------------------------------------
def _kind(node: Any, agencies: Sequence[str] | None) -> Kind:
    """The type of ``node``; a :class:`MetricError` if it has none."""
    return _typed(node, agencies)[0]


def _typed(node: Any, agencies: Sequence[str] | None) -> tuple[Kind, Any]:  # noqa: PLR0911 (one return per node type)
    """The type of ``node`` and, for a list of values, its shape: the mask that selects it (two
    lists combine only when one mask selects both: other masks select other numbers of
    entries, run by run)."""
    if isinstance(node, _Num):
        return _N, None
    if isinstance(node, _Text):
        return _T, None
    if isinstance(node, _Name):
        return (_M if node.name in MATRICES else _N), None
    if isinstance(node, _Unary):
        arg, shape = _typed(node.arg, agencies)
        if node.op == "not":
            if arg not in (_N, _K):
                raise MetricError(f"not needs a number or a mask, not {arg.value}")
            return arg, None
        if arg not in (_N, _M, _V):
            raise MetricError(f"cannot negate {arg.value}")
        return arg, shape
    if isinstance(node, _Binary):
        return _combine(node.op, _typed(node.left, agencies), _typed(node.right, agencies))
    if isinstance(node, _Chain):
        found = _typed(node.first, agencies)
        for op, operand in node.rest:
            found = _combine(op, found, _typed(operand, agencies))
        return found
    if isinstance(node, _Index):
        kind = _index_kind(node, agencies)
        return kind, node.keys[0] if kind is _V else None
    assert isinstance(node, _Call)
    return _call_kind(node, [_typed(a, agencies)[0] for a in node.args]), None


def _combine(op: str, left: tuple[Kind, Any], right: tuple[Kind, Any]) -> tuple[Kind, Any]:
    """The type and shape of ``left op right``."""
    kind = _binary_kind(op, left[0], right[0])
    if left[0] is _V and right[0] is _V and left[1] != right[1]:
        raise MetricError(f"{op!r} combines two lists of values selected by different masks, "
                          "which can differ in length from run to run; allowed: lists selected "
                          "by the same mask (M1[mask] - M2[mask]), or reduce each with mean(), "
                          "sum(), min() or max() first")
    return kind, left[1] if left[0] is _V else right[1]


def _binary_kind(op: str, left: Kind, right: Kind) -> Kind:
    kinds = {left, right}
    if op in ("and", "or"):
        if kinds <= {_N}:
            return _N
        if kinds <= {_K}:
            return _K
        raise MetricError(f"{op} joins two numbers or two masks, not {left.value} and {right.value}")
    if _T in kinds or _K in kinds:
        raise MetricError(f"{op!r} cannot take {(left if left in (_T, _K) else right).value}")
    if kinds == {_M, _V}:
        raise MetricError(f"{op!r} cannot combine a matrix and a list of values")
    shape = _M if _M in kinds else _V if _V in kinds else _N
    if op in ("<", "<=", ">", ">=", "==", "!="):
        return {_M: _K, _V: _V, _N: _N}[shape]
    return shape


def _index_kind(node: _Index, agencies: Sequence[str] | None) -> Kind:
    target = _kind(node.target, agencies)
    if target is not _M:
        raise MetricError(f"only a matrix can be indexed, not {target.value}")
    keys = [_kind(k, agencies) for k in node.keys]
    if keys == [_K]:
        return _V
    if keys == [_T, _T]:
        if agencies is not None:
            for key in node.keys:
                if key.value not in agencies:
                    raise MetricError(f"unknown agency {key.value!r}{_suggest(key.value, agencies)}; "
                                      f"allowed: {', '.join(agencies)}")
        if node.keys[0].value == node.keys[1].value:
            raise MetricError(f"[{node.keys[0].value!r}, {node.keys[1].value!r}] is on the "
                              "diagonal (an agency and itself), which is not defined")
        return _N
    raise MetricError('a matrix takes ["row agency", "column agency"] or [mask]')


def _call_kind(node: _Call, args: list[Kind]) -> Kind:
    name, n = node.name, len(args)
    if name in _AGGREGATES:
        if n == 1 and args[0] in (_M, _V, _K):
            if args[0] is _K and name != "count":
                raise MetricError(f"{name}() of a mask: select values with matrix[mask]")
            return _N
        if name in ("min", "max") and n >= 2 and all(a is _N for a in args):
            return _N
        raise MetricError(f"{name}() takes one matrix, mask or list of values"
                          + (", or two or more numbers" if name in ("min", "max") else ""))
    if name in _UNARY:
        if args != [_N]:
            raise MetricError(f"{name}() takes one number")
        return _N
    if name == "if":
        if n != 3 or args[0] is not _N or args[1] is not _N or args[2] is not _N:
            raise MetricError("if(condition, a, b) takes three numbers")
        return _N
    if name == "ifnan":
        if args != [_N, _N]:
            raise MetricError("ifnan(x, fallback) takes two numbers")
        return _N
    assert name == "transpose"
    if args != [_M]:
        raise MetricError("transpose() takes one matrix")
    return _M


# --- evaluation ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Run:
    outcomes: Mapping[str, float | int]
    matrices: Mapping[str, np.ndarray]
    agencies: Sequence[str]


def _eval(node: Any, run: _Run) -> Any:  # noqa: PLR0911 (one return per node type)
    if isinstance(node, _Num):
        return node.value
    if isinstance(node, _Text):
        return node.value
    if isinstance(node, _Name):
        if node.name in MATRICES:
            return run.matrices[node.name]
        return float(run.outcomes[node.name])
    if isinstance(node, _Unary):
        value = _eval(node.arg, run)
        if node.op == "not":
            return np.logical_not(value) if isinstance(value, np.ndarray) else float(not value)
        return -value
    if isinstance(node, _Binary):
        return _binary(node.op, _eval(node.left, run), _eval(node.right, run))
    if isinstance(node, _Chain):
        value = _eval(node.first, run)
        for op, operand in node.rest:
            value = _binary(op, value, _eval(operand, run))
        return value
    if isinstance(node, _Index):
        matrix = _eval(node.target, run)
        keys = [_eval(k, run) for k in node.keys]
        if len(keys) == 1:
            values = matrix[keys[0]]
            return values[~np.isnan(values)]
        return float(matrix[_agency(run, keys[0]), _agency(run, keys[1])])
    assert isinstance(node, _Call)
    return _call(node.name, [_eval(a, run) for a in node.args])


def _agency(run: _Run, name: str) -> int:
    try:
        return list(run.agencies).index(name)
    except ValueError:
        raise MetricError(f"unknown agency {name!r}; allowed: {', '.join(run.agencies)}") from None


def _binary(op: str, a: Any, b: Any) -> Any:
    array = isinstance(a, np.ndarray) or isinstance(b, np.ndarray)
    with np.errstate(all="ignore"):
        if op in ("and", "or"):
            if array:
                return np.logical_and(a, b) if op == "and" else np.logical_or(a, b)
            if math.isnan(a) or math.isnan(b):
                return math.nan
            return float(bool(a) and bool(b)) if op == "and" else float(bool(a) or bool(b))
        if op in ("<", "<=", ">", ">=", "==", "!="):
            result = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
                      "==": np.equal, "!=": np.not_equal}[op](a, b)
            if array:
                return result
            return math.nan if math.isnan(a) or math.isnan(b) else float(result)
        if op == "+":
            out = np.add(a, b)
        elif op == "-":
            out = np.subtract(a, b)
        elif op == "*":
            out = np.multiply(a, b)
        elif op == "/":
            out = np.divide(a, b)
            out = np.where(np.equal(b, 0), np.nan, out)  # x / 0 is undefined: NaN, not inf
        else:
            out = np.power(np.asarray(a, dtype=float), b)
    return out if array else _number(out)


def _number(x: Any) -> float:
    value = float(x)
    return value if math.isfinite(value) else math.nan


def _call(name: str, args: list[Any]) -> Any:  # noqa: PLR0911 (one return per function)
    if name in _AGGREGATES and len(args) == 1:
        values = np.asarray(args[0])
        if name == "count":
            return float(values.sum() if values.dtype == bool else np.count_nonzero(~np.isnan(values)))
        values = values[~np.isnan(values)]
        if values.size == 0:
            return 0.0 if name == "sum" else math.nan
        return float({"mean": np.mean, "median": np.median, "sum": np.sum, "min": np.min,
                      "max": np.max}[name](values))
    if name in ("min", "max"):
        if any(math.isnan(a) for a in args):
            return math.nan
        return float(min(args) if name == "min" else max(args))
    if name in _UNARY:
        x = args[0]
        if math.isnan(x) or (name in ("sqrt", "log") and x < 0) or (name == "log" and x == 0):
            return math.nan
        try:
            return _number(_UNARY[name](x))
        except OverflowError:
            return math.nan
    if name == "if":
        condition, a, b = args
        return math.nan if math.isnan(condition) else (a if condition else b)
    if name == "ifnan":
        return args[1] if math.isnan(args[0]) else args[0]
    assert name == "transpose"
    return args[0].T


# --- metrics ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Metric:
    """One named metric: an expression (``tree``) or a Python function (``function``, a dotted
    path resolved on first use, so the metric pickles to worker processes). A function runs
    only in a ``trusted`` metric (see the module docstring)."""

    name: str
    text: str
    tree: Any = None
    function: str | None = None
    trusted: bool = False

    @property
    def runs_code(self) -> bool:
        """Whether evaluating the metric imports and calls user code."""
        return self.function is not None

    def trust(self) -> Metric:
        """The metric allowed to run its function, imported now (so a missing module or name
        is one :class:`MetricError` before anything runs). An expression is returned as is."""
        if self.function is None:
            return self
        try:
            _resolve(self.function)
        except MetricError as exc:
            raise MetricError(f"metrics.{self.name}: {exc}") from None
        return dataclasses.replace(self, trusted=True)

    def evaluate(self, outcomes: Mapping[str, float | int], trust_matrix: Any, rivalry_matrix: Any,
                 agencies: Sequence[str]) -> float:
        """The metric's value for one run (NaN where undefined)."""
        trust, rivalry = _matrix(trust_matrix), _matrix(rivalry_matrix)
        if self.function is not None:
            if not self.trusted:
                raise MetricError(f"metrics.{self.name}: {UNTRUSTED.format(self.function)}")
            value = _resolve(self.function)(dict(outcomes), trust, rivalry, list(agencies))
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise MetricError(f"metrics.{self.name}: {self.function} returned "
                                  f"{type(value).__name__}, not a number")
            return _number(value) if not math.isnan(float(value)) else math.nan
        run = _Run(outcomes, {"trust_matrix": trust, "rivalry_matrix": rivalry}, agencies)
        return _number(_eval(self.tree, run))


def _matrix(value: Any) -> np.ndarray:
    """A float matrix with NaN on the diagonal (None entries, as in RunResult, become NaN)."""
    out = np.array(value, dtype=float)
    np.fill_diagonal(out, np.nan)
    return out


UNTRUSTED = ("runs Python code ({}); allowed only when you trust the file: --trust-code on the "
             "command line, trust_code=True in Python (README, \"Trust and security\")")
"""Why a function metric is refused without the opt-in (``{}``: its dotted path)."""

_RESOLVED: dict[str, Callable[..., Any]] = {}


def _resolve(path: str) -> Callable[..., Any]:
    found = _RESOLVED.get(path)
    if found is None:
        module, _, attr = path.rpartition(".")
        if not module:
            raise MetricError(f"{path!r} is not a dotted path (package.module.function)")
        try:
            found = getattr(_import(module), attr)
        except ImportError as exc:
            raise MetricError(f"cannot import {module!r} ({exc})") from None
        except AttributeError:
            raise MetricError(f"module {module!r} has no {attr!r}") from None
        if not callable(found):
            raise MetricError(f"{path!r} is not callable")
        _RESOLVED[path] = found
    return found


def _import(module: str) -> Any:
    """Import ``module`` with the current folder on the path, as ``python -m sim`` has it: the
    ``warnsim`` console script's path starts with its own folder instead, where no user module
    is. The folder is on the path only while the import runs."""
    here = os.getcwd()
    added = here not in sys.path and "" not in sys.path
    if added:
        sys.path.insert(0, here)
    try:
        return importlib.import_module(module)
    finally:
        if added and here in sys.path:
            sys.path.remove(here)


def compile_metric(name: str, definition: Any, *, agencies: Sequence[str] | None = None,
                   reserved: Sequence[str] = (), trust_code: bool = False) -> Metric:
    """Check one ``[metrics]`` entry and return it ready to evaluate.

    ``agencies``: the scenario's agency names, to check ``M["row", "col"]`` entries now rather
    than in every run; ``reserved``: column names a metric may not take (outcomes, parameters,
    the run's bookkeeping columns). Errors are :class:`MetricError` naming ``metrics.<name>``.
    A ``{ function = ... }`` entry is checked for its form only, and imported (to be run) only
    with ``trust_code``: see :meth:`Metric.trust`.
    """
    where = f"metrics.{name}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise MetricError(f"{where}: a metric name is lowercase letters, digits and _, "
                          "starting with a letter")
    if name in OUTCOME_NAMES or name in reserved or name in MATRICES:
        raise MetricError(f"{where}: the name is already a column of runs.parquet; choose another")
    if isinstance(definition, Mapping):
        if set(definition) != {"function"} or not isinstance(definition["function"], str):
            raise MetricError(f'{where}: a table takes one key, function = "package.module.name"')
        path = definition["function"].strip()
        if not _DOTTED.match(path):
            raise MetricError(f"{where}: function: got {path[:80]!r}; allowed: a dotted path "
                              "package.module.function of Python names")
        metric = Metric(name=name, text=path, function=path)
        return metric.trust() if trust_code else metric
    if not isinstance(definition, str):
        raise MetricError(f'{where}: expected an expression (a string) or {{ function = "..." }}, '
                          f"got {type(definition).__name__}")
    try:
        tree = _Parser(definition).parse()
        kind = _kind(tree, agencies)
    except MetricError as exc:
        raise MetricError(f"{where}: {exc}") from None
    if kind is not _N:
        hint = "; reduce it with mean(), sum(), count(), min() or max()" if kind in (_M, _V, _K) else ""
        raise MetricError(f"{where}: the expression gives {kind.value}, not a number{hint}")
    return Metric(name=name, text=definition, tree=tree)


def parse_metrics(table: Any, *, agencies: Sequence[str] | None = None,
                  reserved: Sequence[str] = (), trust_code: bool = False) -> tuple[Metric, ...]:
    """Check an experiment file's ``[metrics]`` table (name -> expression or function)."""
    if not isinstance(table, Mapping):
        raise MetricError("metrics: expected a table of name = \"expression\"")
    return tuple(compile_metric(name, value, agencies=agencies, reserved=reserved,
                                trust_code=trust_code)
                 for name, value in table.items())


def evaluate(metrics: Sequence[Metric], result: Any) -> dict[str, float]:
    """Every metric's value for one finished run (a :class:`sim.run.RunResult`)."""
    return {m.name: m.evaluate(result.outcomes, result.trust_matrix, result.rivalry_matrix,
                               result.agencies) for m in metrics}
