"""`warnsim cases`: per-half scores of the model against the two baselines, checked against
values computed here by other means on a small case file, and the sensitivity table."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from sim.case_scores import PRIOR_SDS, RidgeLogit, base_rates
from sim.cases import builtin_cases, recodings
from sim.cli import main

# Eight cases: two seen (calibration by rule 1), then by date: the two earliest unseen join
# calibration (ceil(8/2) = 4), the last four are held out.
TINY = """case,sender,recipient,date,rivalry,details,channel,load,response,seen
s1,A,B,2024-03,0.9,2,both,0,dismissed,yes
s2,C,D,2010-10,0.3,3,private,0,heeded,yes
u1,A,D,1999,0.1,1,private,2,investigated,no
u2,C,B,2001-05-02,0.7,0,private,0,dismissed,no
u3,A,B,2005,0.9,1,relay,1,dismissed,no
u4,C,D,2006-01,0.1,3,private,0,heeded,no
u5,A,D,2007,0.3,2,both,3,investigated,no
u6,C,B,2008,0.7,1,private,0,heeded,no
"""
ORDER = ("heeded", "investigated", "dismissed")
CALIBRATION = ("s1", "s2", "u1", "u2")


def _run(tmp_path: Path, capsys, *args: str) -> str:
    path = tmp_path / "tiny.csv"
    path.write_text(TINY, encoding="utf-8")
    assert main(["cases", str(path), *args]) == 0
    return capsys.readouterr().out


def _by_hand_logit(x: np.ndarray, y: np.ndarray, cal: np.ndarray) -> np.ndarray:
    """The codebook's regression written out independently: standardise on the calibration
    half, drop constant columns, penalised multinomial likelihood (first intercept 0, normal
    prior on all slopes) minimised by BFGS with a numerical gradient, prior SD by leave-one-out."""
    mean, sd = x[cal].mean(axis=0), x[cal].std(axis=0)
    keep = sd > 0
    z = (x[:, keep] - mean[keep]) / sd[keep]
    k, p = 3, z.shape[1]

    def probs(theta: np.ndarray, zz: np.ndarray) -> np.ndarray:
        eta = np.concatenate([[0.0], theta[:2]]) + zz @ theta[2:].reshape(k, p).T
        e = np.exp(eta - eta.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def fit(zz: np.ndarray, yy: np.ndarray, s: float) -> np.ndarray:
        def f(theta: np.ndarray) -> float:
            q = probs(theta, zz)
            return -np.log(q[np.arange(len(yy)), yy]).sum() + (theta[2:] ** 2).sum() / (2 * s * s)
        return minimize(f, np.zeros(2 + k * p), method="BFGS", options={"gtol": 1e-9}).x

    zc, yc = z[cal], y[cal]
    loo = {}
    for s in PRIOR_SDS:
        losses = [-math.log(max(probs(fit(np.delete(zc, i, 0), np.delete(yc, i), s),
                                      zc[i:i + 1])[0, yc[i]], 1e-6)) for i in range(len(yc))]
        loo[s] = np.mean(losses)
    best = min(PRIOR_SDS, key=lambda s: (round(loo[s], 12), s))
    return probs(fit(zc, yc, best), z)


def test_baselines_and_scores_computed_by_hand_equal_the_commands(tmp_path: Path, capsys):
    rows = json.loads(_run(tmp_path, capsys, "--json"))
    assert [r["half"] for r in rows] == ["calibration"] * 4 + ["holdout"] * 4
    assert [r["case"] for r in rows if r["half"] == "calibration"] == list(CALIBRATION)
    # base rates: calibration responses dismissed, heeded, investigated, dismissed: counts 1, 1,
    # 2 of 4; Jeffreys (count + 1/2) / (4 + 3/2)
    expected = [1.5 / 5.5, 1.5 / 5.5, 2.5 / 5.5]
    for r in rows:
        assert [r["base_rate_heed"], r["base_rate_investigate"], r["base_rate_dismiss"]] == \
            pytest.approx(expected, abs=1e-12)
    # the regression: predictors rivalry, details, public channel, relayed channel, load (the
    # other coded columns are constant here and dropped)
    x = np.array([[r["rivalry"], r["details"], r["channel"] in ("public", "both"),
                   r["channel"] == "relay", r["load"]] for r in rows], dtype=float)
    y = np.array([ORDER.index(r["response"]) for r in rows])
    cal = np.array([r["half"] == "calibration" for r in rows])
    logit = _by_hand_logit(x, y, cal)
    for r, q in zip(rows, logit, strict=True):
        assert [r["logit_heed"], r["logit_investigate"], r["logit_dismiss"]] == \
            pytest.approx(q.tolist(), abs=2e-5)
    # the table's scores: Brier and log-loss per half, by hand
    table = _run(tmp_path, capsys)
    model = np.array([[r["p_heed"], r["p_investigate"], r["p_dismiss"]] for r in rows])
    for half in ("calibration", "holdout"):
        index = np.array([r["half"] == half for r in rows])
        for name, p in (("model", model), ("base_rate", np.array([expected] * 8)),
                        ("logit", logit)):
            onehot = np.eye(3)[y[index]]
            brier = float(((p[index] - onehot) ** 2).sum(axis=1).mean())
            loss = float(-np.log(np.clip(p[index][np.arange(index.sum()), y[index]],
                                         1e-6, 1)).mean())
            line = re.search(rf"^{half}\s+4\s+{name}\s+(\S+)\s+(\S+)$", table, re.M)
            assert line, (half, name, table)
            assert float(line[1]) == pytest.approx(brier, abs=6e-4)
            assert float(line[2]) == pytest.approx(loss, abs=6e-4)


def test_the_ridge_fit_without_a_penalty_is_statsmodels_mnlogit():
    """On data without separation a vanishing penalty leaves the likelihood statsmodels'
    MNLogit maximises: the same fitted probabilities."""
    import statsmodels.api as sm

    rng = np.random.default_rng(20261207)
    z = rng.normal(size=(300, 2))
    eta = np.column_stack([np.zeros(300), 0.5 + z @ [1.0, -0.5], -0.3 + z @ [-0.8, 0.7]])
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    ours = RidgeLogit.fit(z, y, prior_sd=1e6).predict(z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sm.MNLogit(y, sm.add_constant(z)).fit(disp=0, maxiter=200).predict(
            sm.add_constant(z))
    assert ours == pytest.approx(np.asarray(theirs), abs=1e-6)


def test_a_strong_penalty_shrinks_the_regression_to_the_unsmoothed_base_rates():
    z = np.random.default_rng(1).normal(size=(9, 3))
    y = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2])
    fitted = RidgeLogit.fit(z, y, prior_sd=1e-5).predict(z)
    assert fitted == pytest.approx(np.tile([4 / 9, 2 / 9, 3 / 9], (9, 1)), abs=1e-6)
    assert base_rates(y) == pytest.approx([4.5 / 10.5, 2.5 / 10.5, 3.5 / 10.5])


def test_a_response_absent_from_the_calibration_half_gets_zero_from_the_regression():
    z = np.random.default_rng(2).normal(size=(6, 2))
    fitted = RidgeLogit.fit(z, np.array([0, 2, 0, 2, 2, 0]), prior_sd=1.0).predict(z)
    assert (fitted[:, 1] == 0).all() and fitted.sum(axis=1) == pytest.approx(1.0)
    assert base_rates(np.array([0, 2, 0, 2]))[1] == pytest.approx(0.5 / 5.5)


def test_the_built_in_json_rows_carry_their_half(capsys):
    assert main(["cases", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(builtin_cases()) >= 30
    assert {r["half"] for r in rows} == {"calibration", "holdout"}
    for r in rows:
        assert {"date", "timing", "location", "perpetrators", "scale", "relations", "outcome",
                "deaths", "uncertain", "base_rate_heed", "logit_dismiss"} <= r.keys()


def test_a_file_without_dates_is_scored_without_halves(tmp_path: Path, capsys):
    path = tmp_path / "vignettes.csv"
    path.write_text("case,sender,recipient,rivalry,details,channel,response\n"
                    "x,A,B,0.5,1,private,heeded\n", encoding="utf-8")
    assert main(["cases", str(path)]) == 0
    assert "no halves and no baselines" in capsys.readouterr().out
    assert main(["cases", str(path), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["half"] is None and "base_rate_heed" not in row


def test_a_file_of_one_case_is_scored_by_the_model_and_the_base_rate_only(tmp_path: Path, capsys):
    """One seen case: the calibration half holds it, the hold-out half nothing; the regression
    cannot choose its prior by leaving one out, so it is not reported, and the base rate is
    the Jeffreys share (1 + 1/2) / (1 + 3/2) = 0.6 for the recorded response."""
    path = tmp_path / "one.csv"
    path.write_text("case,sender,recipient,date,rivalry,details,channel,response,seen\n"
                    "s1,A,B,2024-03,0.9,2,both,dismissed,yes\n", encoding="utf-8")
    assert main(["cases", str(path)]) == 0
    out = capsys.readouterr().out
    assert "no logit: it needs at least 2 cases in the calibration half" in out
    assert not re.search(r"^\S+\s+\d+\s+logit", out, re.MULTILINE)
    assert main(["cases", str(path), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["half"] == "calibration" and "logit_heed" not in row
    assert math.isclose(row["base_rate_dismiss"], 0.6)
    assert math.isclose(row["base_rate_heed"], 0.2)


RULE_CODED = {"rivalry", "load", "sender_capability", "recipient_capability",
              "recipient_home_security", "days_left", "corroborated", "timing", "location",
              "perpetrators", "details", "channel", "real", "scale", "bound"}


def test_the_sensitivity_table_moves_every_rule_coded_column_one_at_a_time():
    codebook = (Path(__file__).resolve().parents[1] / "docs" / "cases-codebook.md").read_text()
    section = codebook.split("## 7.")[1].split("## 8.")[0]
    for column in RULE_CODED:
        assert f"`{column}`" in section, column
    moved: set[str] = set()
    for case in builtin_cases():
        for column, _, recoded in recodings(case):
            moved.add(column)
            changed = {f for f in case.__dataclass_fields__
                       if getattr(recoded, f) != getattr(case, f)}
            allowed = {column, "details"} if column in ("timing", "location", "perpetrators") \
                else {column}
            assert changed and changed <= allowed, (case.case, column, changed)
    assert moved == RULE_CODED


def test_sensitivity_rows_and_report(tmp_path: Path, capsys):
    rows = json.loads(_run(tmp_path, capsys, "--sensitivity", "--json"))
    assert {r["column"] for r in rows} >= {"rivalry", "load", "channel", "details"}
    assert all(r["half"] in ("calibration", "holdout") for r in rows)
    text = _run(tmp_path, capsys, "--sensitivity")
    assert "prediction_changes" in text and f"of {len(rows)} recodings" in text
