"""The metrics mini-language: values against direct computation, refusals naming the metric,
and arithmetic that agrees with Python's on random expressions."""

from __future__ import annotations

import math
import operator
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.metrics import MetricError, compile_metric, evaluate, parse_metrics
from sim.outcomes import OUTCOME_NAMES
from sim.params import PARAMETERS
from sim.run import RunSpec, simulate


@pytest.fixture(scope="module")
def run():
    return simulate(RunSpec(days=365, seed=3))


def value(text, run, name="m"):
    return compile_metric(name, text, agencies=run.agencies).evaluate(
        run.outcomes, run.trust_matrix, run.rivalry_matrix, run.agencies)


def test_outcome_arithmetic(run):
    o = run.outcomes
    assert value("heed_rate_low_rivalry - heed_rate_high_rivalry", run) == pytest.approx(
        o["heed_rate_low_rivalry"] - o["heed_rate_high_rivalry"])
    assert value("net_harm / plots", run) == pytest.approx(o["net_harm"] / o["plots"])
    assert value("(attacks + 1) * 2 ^ 3", run) == (o["attacks"] + 1) * 8
    assert value("-casualties", run) == -o["casualties"]
    assert value("if(attacks > interdicted, 1, 0)", run) == float(o["attacks"] > o["interdicted"])
    assert value("min(plots, attacks, 7)", run) == min(o["plots"], o["attacks"], 7)


def test_matrix_reductions_and_entries(run):
    trust = np.array(run.trust_matrix, dtype=float)
    rivalry = np.array(run.rivalry_matrix, dtype=float)
    off = ~np.eye(len(run.agencies), dtype=bool)
    rival = off & (rivalry >= 0.5)
    assert value("mean(trust_matrix[rivalry_matrix >= 0.5])", run) == pytest.approx(trust[rival].mean())
    assert value("count(rivalry_matrix >= 0.5)", run) == rival.sum()
    assert value("mean(trust_matrix)", run) == pytest.approx(trust[off].mean())
    assert value("min(rivalry_matrix)", run) == rivalry[off].min()  # the diagonal (0) never counts
    assert value("sum(trust_matrix[rivalry_matrix < 0.5 and trust_matrix > 0.5])", run) == pytest.approx(
        trust[off & (rivalry < 0.5) & (trust > 0.5)].sum())
    r, s = run.agencies.index("B1"), run.agencies.index("A1")
    assert value('trust_matrix["B1", "A1"]', run) == trust[r, s]
    assert value("trust_matrix['A1', 'B1'] - trust_matrix['B1', 'A1']", run) == pytest.approx(
        trust[s, r] - trust[r, s])
    assert value("max(trust_matrix - transpose(trust_matrix))", run) == pytest.approx(
        np.nanmax(trust - trust.T))


def test_undefined_values_are_nan(run):
    assert math.isnan(value("plots / 0", run))
    assert math.isnan(value("mean(trust_matrix[rivalry_matrix > 2])", run))
    assert value("sum(trust_matrix[rivalry_matrix > 2])", run) == 0
    assert math.isnan(value("log(0) + sqrt(-1)", run))
    assert value("ifnan(plots / 0, -1)", run) == -1
    outcomes = dict(run.outcomes, heed_rate=math.nan)
    m = compile_metric("m", "heed_rate * 2")
    assert math.isnan(m.evaluate(outcomes, run.trust_matrix, run.rivalry_matrix, run.agencies))


def test_evaluate_names_every_metric(run):
    metrics = parse_metrics({"a": "plots", "b": "mean(rivalry_matrix)"}, agencies=run.agencies)
    assert evaluate(metrics, run) == {"a": run.outcomes["plots"], "b": pytest.approx(
        np.nanmean(np.where(np.eye(len(run.agencies)) == 1, np.nan, np.array(run.rivalry_matrix))))}


@pytest.mark.parametrize(("text", "words"), [
    ("heed_rat * 2", ["unknown name 'heed_rat'", "did you mean 'heed_rate'"]),
    ("mean(trust_matrix", ["expected ')'"]),
    ("1 +* 2", ["unexpected '*'"]),
    ("trust_matrix", ["gives a matrix, not a number"]),
    ("trust_matrix[rivalry_matrix > 0.5]", ["list of values, not a number"]),
    ('trust_matrix["Z9", "A1"]', ["unknown agency 'Z9'"]),
    ('trust_matrix["A1", "A1"]', ["diagonal"]),
    ("os.system(1)", ["unexpected character '.'"]),
    ("__import__('os')", ["unknown function '__import__'"]),
    ("foo(1)", ["unknown function 'foo'"]),
    ("mean(rivalry_matrix > 1)", ["matrix[mask]"]),
    ("1 < plots < 3", ["chained"]),
    ("'text' + 1", ["cannot take a text"]),
    ("", ["empty expression"]),
    ("sqrt(trust_matrix)", ["sqrt() takes one number"]),
])
def test_bad_expressions_are_refused_naming_the_metric(text, words):
    with pytest.raises(MetricError) as err:
        compile_metric("my_metric", text, agencies=["A1", "B1"])
    message = str(err.value)
    assert message.startswith("metrics.my_metric: ") and "\n" not in message
    for w in words:
        assert w in message, message


@pytest.mark.parametrize("name", ["Heed", "1x", "heed-rate", "heed_rate", "rivalry", "seed"])
def test_bad_names_are_refused(name):
    reserved = [*PARAMETERS, "seed"]
    with pytest.raises(MetricError, match=rf"^metrics\.{name}: "):
        compile_metric(name, "plots", reserved=reserved)
    assert "heed_rate" in OUTCOME_NAMES


def test_python_function_reference(tmp_path, monkeypatch, run):
    (tmp_path / "my_metrics.py").write_text(textwrap.dedent("""
        import numpy as np
        def rival_distrust(outcomes, trust_matrix, rivalry_matrix, agencies):
            return float(np.nanmean(1 - trust_matrix[rivalry_matrix >= 0.5])) + outcomes["plots"]
        def not_a_number(outcomes, trust_matrix, rivalry_matrix, agencies):
            return "high"
        CONSTANT = 3
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    untrusted = compile_metric("distrust", {"function": "my_metrics.rival_distrust"})
    assert "my_metrics" not in sys.modules  # read, not imported
    with pytest.raises(MetricError, match=r"runs Python code .*--trust-code"):
        untrusted.evaluate(run.outcomes, run.trust_matrix, run.rivalry_matrix, run.agencies)
    assert "my_metrics" not in sys.modules
    m = compile_metric("distrust", {"function": "my_metrics.rival_distrust"}, trust_code=True)
    trust, rivalry = np.array(run.trust_matrix, dtype=float), np.array(run.rivalry_matrix)
    expected = np.nanmean(1 - trust[rivalry >= 0.5]) + run.outcomes["plots"]
    assert m.evaluate(run.outcomes, run.trust_matrix, run.rivalry_matrix, run.agencies) == pytest.approx(expected)
    for definition, words in [({"function": "my_metrics.missing"}, "has no 'missing'"),
                              ({"function": "no_such_module_xyz.f"}, "cannot import"),
                              ({"function": "my_metrics.CONSTANT"}, "not callable"),
                              ({"func": "my_metrics.f"}, "one key")]:
        with pytest.raises(MetricError, match=r"^metrics\.distrust: .*" + words):
            compile_metric("distrust", definition, trust_code=True)
    bad = compile_metric("word", {"function": "my_metrics.not_a_number"}, trust_code=True)
    with pytest.raises(MetricError, match="returned str, not a number"):
        bad.evaluate(run.outcomes, run.trust_matrix, run.rivalry_matrix, run.agencies)
    sys.modules.pop("my_metrics", None)


_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


@st.composite
def arithmetic(draw, depth=3):
    """A random expression over small numbers and outcome names with its value (Python's)."""
    if depth == 0 or draw(st.booleans()):
        if draw(st.booleans()):
            name = draw(st.sampled_from(["plots", "attacks", "warnings_sent", "casualties"]))
            return name, name
        x = draw(st.integers(0, 20))
        return str(x), x
    op = draw(st.sampled_from(sorted(_OPS)))
    left, right = draw(arithmetic(depth - 1)), draw(arithmetic(depth - 1))
    return f"({left[0]} {op} {right[0]})", (op, left[1], right[1])


def _reference(tree, outcomes):
    if isinstance(tree, tuple):
        op, a, b = tree
        return _OPS[op](_reference(a, outcomes), _reference(b, outcomes))
    return outcomes[tree] if isinstance(tree, str) else tree


@settings(max_examples=60, deadline=None)
@given(expr=arithmetic())
def test_arithmetic_agrees_with_python(run, expr):
    text, tree = expr
    assert value(text, run) == pytest.approx(_reference(tree, run.outcomes))
