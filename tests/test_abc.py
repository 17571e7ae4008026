"""ABC-SMC (`method = "abc-smc"`): the sampler recovers known posteriors (a normal mean under a
conjugate prior, with both kernels, and pyabc recovers the same one; a binomial rate through
the whole calibration machinery); its populations do not depend on the number of workers or on
an interruption; it says which parameters the targets pin and which they leave at the prior,
and checks its posterior by simulation; the calibration file refuses targets the validation
suite checks and cases outside the calibration half; bad settings are one line and exit 2; a
folder of other results is replaced only with --force."""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import ndtri

from sim.calibration import abc
from sim.calibration.api import calibrate
from sim.calibration.config import Method, load_calibration, options_markdown
from sim.calibration.smc import AbcOutcome, calibrate_abc, simulate_particles, with_values
from sim.calibration.statistics import calibration_half, statistic, validation_checks
from sim.cli import main
from sim.errors import Interrupted
from sim.params import PARAMETERS, ModelParams
from sim.run import RunResult, RunSpec
from tests.test_calibration import refused_in_one_line, toy

ROOT = Path(__file__).resolve().parents[1]

# The normal mean: prior N(MU0, TAU^2), N observations with sd SIGMA and mean YBAR; the
# statistic is the simulated mean. Posterior: N(POST_MEAN, POST_SD^2) (conjugate).
MU0, TAU, SIGMA, N, YBAR = 1.0, 1.0, 1.0, 4, 2.5
SE = SIGMA / math.sqrt(N)
POST_VAR = 1 / (1 / TAU**2 + 1 / SE**2)
POST_MEAN, POST_SD = POST_VAR * (MU0 / TAU**2 + YBAR / SE**2), math.sqrt(POST_VAR)


def normal_mean(theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The simulated mean of N draws given mu: mu + SE z, z from the particle's own seed (a
    63-bit uniform integer, so (seed + 1/2) / 2^63 is uniform on (0, 1))."""
    z = ndtri((seeds.astype(float) + 0.5) / 2.0**63)
    return (theta[:, 0] + SE * z)[:, None]


def abc_posterior(eps: float) -> tuple[float, float]:
    """Mean and sd of the exact ABC posterior at tolerance ``eps`` on the mean (prior times
    the chance that the simulated mean falls within eps of YBAR), by quadrature; as eps falls
    it tends to the conjugate posterior N(POST_MEAN, POST_SD^2)."""
    def density(mu: float) -> float:
        return stats.norm.pdf(mu, MU0, TAU) * (stats.norm.cdf((YBAR + eps - mu) / SE)
                                               - stats.norm.cdf((YBAR - eps - mu) / SE))

    moments = [integrate.quad(lambda mu, k=k: mu**k * density(mu), -10, 12)[0]
               for k in range(3)]
    mean = moments[1] / moments[0]
    return mean, math.sqrt(moments[2] / moments[0] - mean**2)


def weighted(population: abc.Population) -> tuple[float, float]:
    x, w = population.theta[:, 0], population.weights
    mean = float(np.average(x, weights=w))
    return mean, math.sqrt(float(np.average((x - mean) ** 2, weights=w)))


DESIGN = 2.5
"""How much more a weighted mean or sd varies from run to run than Kish's effective sample
size says (descendants of one ancestor are alike): over 12 seeds of the test below, the
standard deviation of the errors in units of the ESS standard error was 1.4-1.6 for the mean
and 1.3-2.3 for the sd (variance factors 2-2.6, the sd's with the local kernel up to 5)."""


def close_to(mean: float, sd: float, ess: float, target: tuple[float, float]) -> None:
    """Within four Monte Carlo standard errors (ESS / DESIGN particles) of ``target``."""
    n = ess / DESIGN
    assert abs(mean - target[0]) < 4 * target[1] / math.sqrt(n), (mean, target)
    assert abs(sd / target[1] - 1) < 4 / math.sqrt(2 * n), (sd, target)


REPLICATES = (7, 8, 9)


@pytest.mark.parametrize("kernel", list(abc.Kernel))
def test_the_posterior_of_a_normal_mean_is_recovered(kernel):
    # Tolerance 0.05 on the mean (distance unit 0.05, final epsilon 1): the exact ABC
    # posterior's sd is 0.2% above the conjugate posterior's. Three independent runs, pooled.
    problem = abc.Problem(("mu",), (stats.norm(MU0, TAU),), normal_mean,
                          lambda s: np.abs(s - YBAR) / 0.05)
    runs = [abc.run(problem, abc.Settings(population=1000, min_epsilon=1.0, kernel=kernel), seed)
            for seed in REPLICATES]
    for result in runs:
        assert result.stop is abc.Stop.MIN_EPSILON and result.final.epsilon == 1.0
        assert len(result.populations) > 4
        eps = [p.epsilon for p in result.populations[1:]]
        assert all(a > b for a, b in itertools.pairwise(eps))
    means, sds = zip(*(weighted(r.final) for r in runs), strict=True)
    exact = abc_posterior(0.05)
    assert exact == pytest.approx((POST_MEAN, POST_SD), rel=3e-3)
    close_to(float(np.mean(means)), float(np.mean(sds)), sum(r.final.ess for r in runs), exact)
    # The prior is informative (its mean 1, the data's 2.5): with every weight equal, or
    # without the prior's density in the weights, the posterior mean comes out at 2.49-2.51
    # (measured by changing abc.py), so this test fails.
    assert abs(float(np.mean(means)) - YBAR) > 0.2


@pytest.mark.slow
def test_pyabc_recovers_the_same_posterior():
    """pyabc, the library the guide prefers, on the same problem (pyabc is in the test extra:
    it installs cleanly with this project's pins). It can be seeded only through numpy's global
    state (see sim/calibration/abc.py), so this test seeds it and restores the state after."""
    pyabc = pytest.importorskip("pyabc")
    logging.getLogger("ABC").setLevel(logging.WARNING)
    state = np.random.get_state()  # noqa: NPY002 - pyabc reads only numpy's global state
    try:
        np.random.seed(3)  # noqa: NPY002
        prior = pyabc.Distribution(mu=pyabc.RV("norm", MU0, TAU))

        def model(p: dict) -> dict:
            return {"y": p["mu"] + SE * np.random.normal()}  # noqa: NPY002

        smc = pyabc.ABCSMC(model, prior, pyabc.PNormDistance(p=1), population_size=200,
                           sampler=pyabc.SingleCoreSampler())
        smc.new("sqlite://", {"y": YBAR})
        history = smc.run(minimum_epsilon=0.25, max_nr_populations=12)
        frame, w = history.get_distribution()
        eps = float(history.get_all_populations()["epsilon"].iloc[-1])
    finally:
        np.random.set_state(state)  # noqa: NPY002
    assert eps <= 0.25
    x = frame["mu"].to_numpy()
    mean = float(np.sum(x * w))
    sd = math.sqrt(float(np.sum(w * (x - mean) ** 2)))
    close_to(mean, sd, 1 / float(np.sum(w**2)), abc_posterior(eps))


def test_the_same_seed_gives_the_same_populations_and_another_seed_others():
    problem = abc.Problem(("mu",), (stats.norm(MU0, TAU),), normal_mean,
                          lambda s: np.abs(s - YBAR))
    s = abc.Settings(population=200, generations=3)
    a, b, c = (abc.run(problem, s, seed) for seed in (1, 1, 2))
    for p, q in zip(a.populations, b.populations, strict=True):
        assert np.array_equal(p.theta, q.theta) and np.array_equal(p.weights, q.weights)
    assert not np.array_equal(a.final.theta, c.final.theta)


def test_a_run_continued_from_stored_generations_ends_where_an_uninterrupted_one_does():
    problem = abc.Problem(("mu",), (stats.norm(MU0, TAU),), normal_mean,
                          lambda s: np.abs(s - YBAR))
    whole = abc.run(problem, abc.Settings(population=200, generations=4), 5)
    part = abc.run(problem, abc.Settings(population=200, generations=2), 5)
    assert part.stop is abc.Stop.GENERATIONS and len(part.populations) == 3
    rest = abc.run(problem, abc.Settings(population=200, generations=4), 5,
                   history=part.populations)
    assert rest.simulations == whole.simulations
    assert all(np.array_equal(p.theta, q.theta)
               for p, q in zip(rest.populations, whole.populations, strict=True))


def test_a_budget_that_runs_out_within_a_generation_discards_it():
    problem = abc.Problem(("mu",), (stats.norm(MU0, TAU),), normal_mean,
                          lambda s: np.abs(s - YBAR))
    result = abc.run(problem, abc.Settings(population=200, budget=1500), 5)
    assert result.stop is abc.Stop.BUDGET
    assert result.simulations == 1500 and result.discarded > 0
    assert sum(p.simulations for p in result.populations) + result.discarded == 1500
    assert all(p.size == 200 for p in result.populations)


def test_a_fixed_schedule_uses_its_tolerances_and_stops_when_they_are_used_up():
    problem = abc.Problem(("mu",), (stats.norm(MU0, TAU),), normal_mean,
                          lambda s: np.abs(s - YBAR))
    s = abc.Settings(population=200, schedule=abc.Schedule.FIXED, epsilons=(1.0, 0.5, 0.3))
    result = abc.run(problem, s, 5)
    assert [p.epsilon for p in result.populations[1:]] == [1.0, 0.5, 0.3]
    assert result.stop is abc.Stop.SCHEDULE
    assert (result.final.distance <= 0.3).all()


def test_proposals_never_leave_the_priors_support():
    # A uniform prior on [0, 1] and data at its edge: proposals beyond 1 are drawn again.
    problem = abc.Problem(("p",), (stats.uniform(0, 1),), normal_mean,
                          lambda s: np.abs(s - 1.0))
    result = abc.run(problem, abc.Settings(population=200, generations=4), 2)
    for p in result.populations:
        assert ((p.theta >= 0) & (p.theta <= 1)).all()


# --- through the calibration machinery --------------------------------------------------------

TRUE_HEED = 0.6
"""The toy's truth: 120 of 200 warnings heeded (tests.test_calibration.toy heeds each with
probability home_interdiction; face_cost does nothing)."""


TOY = """
name = "toy"
days = 1
replications = 1
seed = 5
record_warnings = false

[sample]
method = "lhs"
n = {n}

[sample.ranges]
home_interdiction = [0.3, 0.95]
face_cost = [0.0, 5.0]

[calibration]
method = "abc-smc"
min_epsilon = 0.05
predictive = 100
{extra}
[targets.heed]
statistic = "heed_rate"
value = 0.6
tolerance = 0.05
source = "the toy's truth: 120 of 200 warnings heeded"
"""


def toy_calibration(tmp_path: Path, *, n: int = 300, extra: str = "") -> Path:
    path = tmp_path / "toy.toml"
    path.write_text(TOY.format(n=n, extra=extra))
    return path


def test_the_machinery_recovers_a_binomial_rates_posterior_and_says_what_is_identified(
        tmp_path):
    # Heed rates move in steps of 1/200 (distance steps of 0.1): below a tolerance of 0.1 only
    # simulations heeding exactly 120 of 200 are accepted, so the posterior of
    # home_interdiction is exactly Beta(121, 81) on the prior's range; face_cost does nothing.
    found = calibrate_abc(load_calibration(toy_calibration(tmp_path, n=200)),
                          out=tmp_path / "out", workers=1, progress=False, run_fn=toy)
    final = found.result.final
    assert found.result.stop is abc.Stop.MIN_EPSILON and final.epsilon < 0.1
    assert np.allclose(final.stats[:, 0], TRUE_HEED)
    exact = stats.beta(121, 81)  # its mass outside the prior's [0.3, 0.95] is below 1e-12
    x, w = final.theta[:, 0], final.weights
    mean = float(np.average(x, weights=w))
    sd = math.sqrt(float(np.average((x - mean) ** 2, weights=w)))
    assert abs(mean - exact.mean()) < 4 * exact.std() / math.sqrt(final.ess)
    assert abs(sd / exact.std() - 1) < 4 / math.sqrt(2 * final.ess)
    ident = found.tables["abc_identifiability"].frame.set_index("parameter")
    assert ident.loc["home_interdiction", "verdict"] == "pinned"
    assert ident.loc["face_cost", "verdict"] == "left at the prior"
    assert ident.loc["home_interdiction", "kl"] > 1.0
    assert ident.loc["face_cost", "kl"] < 0.1
    post = found.tables["abc_posterior"].frame.set_index("parameter")
    assert post.loc["home_interdiction", "q025"] < TRUE_HEED < post.loc["home_interdiction", "q975"]
    pred = found.tables["abc_predictive"].frame.set_index("target")
    assert pred.loc["heed", "covered"] and pred.loc["heed", "q025"] < 0.6 < pred.loc["heed", "q975"]
    assert 0.3 < pred.loc["heed", "share_met"] < 1.0  # fresh draws scatter beyond the tolerance
    generations = found.tables["abc_generations"].frame
    assert generations["simulations"].sum() == found.result.simulations
    for stem in ("abc_generations", "abc_posterior", "abc_identifiability", "abc_predictive"):
        assert (found.out / "tables" / f"{stem}.csv").is_file()
    particles = pd.read_csv(found.out / "tables" / "abc_particles.csv")
    assert len(particles) == 200 and particles["weight"].sum() == pytest.approx(1.0)
    for stem in ("abc_marginals", "abc_tolerance"):
        assert (found.out / "figures" / f"{stem}.png").stat().st_size > 5000
    median = found.params_file.read_text()
    assert "home_interdiction = " in median and "face_cost = " in median
    summary = json.loads((found.out / "tables" / "calibration.json").read_text())
    assert summary["method"] == "abc-smc" and summary["stop"] == "min_epsilon"
    assert main(["run", "--days", "3", "--params", str(found.params_file), "--json"]) == 0


def test_one_and_two_workers_give_the_same_posterior(tmp_path, capsys):
    path = toy_calibration(tmp_path, n=80, extra="generations = 3\n")
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        calibration = load_calibration(path)
        calibrate_abc(calibration, out=out, workers=int(workers), progress=False, run_fn=toy)
        outs.append(out)
    a, b = (pd.read_parquet(o / "abc_populations.parquet") for o in outs)
    assert len(a) == 4 * 80 and a.equals(b)
    for name in ("abc_posterior.csv", "abc_predictive.csv", "abc_particles.csv",
                 "posterior_median.toml"):
        assert (outs[0] / "tables" / name).read_bytes() == (outs[1] / "tables" / name).read_bytes()


class _StopAfter:
    """A run function that raises KeyboardInterrupt (Ctrl-C) at its ``k``-th run."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.calls = 0

    def __call__(self, spec: RunSpec) -> RunResult:
        self.calls += 1
        if self.calls == self.k:
            raise KeyboardInterrupt
        return toy(spec)


def test_an_interrupted_calibration_continues_to_the_same_result(tmp_path):
    path = toy_calibration(tmp_path, n=60, extra="generations = 3\n")
    clean = calibrate_abc(load_calibration(path), out=tmp_path / "clean", workers=1,
                          progress=False, run_fn=toy)
    out = tmp_path / "stopped"
    with pytest.raises(Interrupted):  # Ctrl-C at the 300th run
        calibrate_abc(load_calibration(path), out=out, workers=1, progress=False,
                      run_fn=_named_like_toy(_StopAfter(300)))
    manifest = json.loads((out / "abc.json").read_text())
    done = len(manifest["generations"])
    assert manifest["status"] == "running" and 1 <= done < 4
    again = calibrate_abc(load_calibration(path), out=out, workers=1, progress=False,
                          run_fn=toy)
    assert again.resumed == done
    assert pd.read_parquet(out / "abc_populations.parquet").equals(
        pd.read_parquet(tmp_path / "clean" / "abc_populations.parquet"))
    assert again.result.simulations == clean.result.simulations
    # More generations continue a finished calibration instead of starting over.
    longer = load_calibration(path)
    longer = dataclasses.replace(longer, abc=dataclasses.replace(longer.abc, generations=4))
    more = calibrate_abc(longer, out=out, workers=1, progress=False, run_fn=toy)
    assert more.resumed == 4 and len(more.result.populations) == 5


def _named_like_toy(fn):
    """``fn`` under toy's module and name, so the folder's fingerprint (which records the run
    function) is the one toy makes: the interrupted calibration is the same calibration."""
    def run(spec: RunSpec) -> RunResult:
        return fn(spec)

    run.__module__, run.__qualname__ = toy.__module__, toy.__qualname__
    return run


def test_a_folder_of_other_results_is_replaced_only_with_force(tmp_path, capsys):
    path = toy_calibration(tmp_path, n=60, extra="generations = 1\n")
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "calibration.md").write_text("a committed rejection report\n")
    calibration = load_calibration(path)
    with pytest.raises(Exception, match="holds results of a rejection calibration"):
        calibrate_abc(calibration, out=out, workers=1, progress=False, run_fn=toy)
    assert (out / "tables" / "calibration.md").read_text() == "a committed rejection report\n"
    first = calibrate_abc(calibration, out=out, workers=1, progress=False, run_fn=toy, force=True)
    assert "ABC-SMC" in (out / "tables" / "calibration.md").read_text()
    # The same calibration again: nothing is simulated, the same files are written.
    before = (out / "tables" / "abc_posterior.csv").read_bytes()
    again = calibrate_abc(calibration, out=out, workers=1, progress=False,
                          run_fn=_named_like_toy(_StopAfter(1)))
    assert again.resumed == len(first.result.populations)
    assert (out / "tables" / "abc_posterior.csv").read_bytes() == before
    # Another calibration's results: refused without --force.
    other = dataclasses.replace(calibration, abc=dataclasses.replace(calibration.abc,
                                                                     quantile=0.3))
    with pytest.raises(Exception, match="abc-smc calibration with other settings"):
        calibrate_abc(other, out=out, workers=1, progress=False, run_fn=toy)
    # A file that no calibration writes: refused even with --force.
    (out / "notes.txt").write_text("mine")
    with pytest.raises(Exception, match="not an abc-smc calibration's"):
        calibrate_abc(other, out=out, workers=1, progress=False, run_fn=toy, force=True)
    assert (out / "notes.txt").read_text() == "mine"


def test_calibrate_command_runs_abc_smc_and_prints_the_posterior(tmp_path, capsys, monkeypatch):
    import sim.run

    monkeypatch.setattr(sim.run, "simulate", toy)
    path = toy_calibration(tmp_path, n=60, extra="generations = 2\n")
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "abc-smc stopped by generations after generation 2" in printed
    # parameters by their declared labels (the printed tables' human names)
    assert f"| {PARAMETERS['home_interdiction'].label} |" in printed
    assert "left at the prior" in printed
    assert (out / "tables" / "calibration.md").is_file()
    for flag in (["--tolerance-scale", "0.5"], ["--confirm", "3"]):
        assert main(["calibrate", str(path), "--out", str(out), *flag]) == 2
        assert "an option of method rejection" in capsys.readouterr().err


def test_particle_parameters_are_those_replace_makes():
    base = ModelParams().replace(rivalry=0.3, action_cost=2.0)

    @settings(max_examples=60, derandomize=True, deadline=None)
    @given(st.lists(st.sampled_from([n for n, p in PARAMETERS.items() if p.kind is float]),
                    min_size=1, max_size=5, unique=True), st.data())
    def check(names, data):
        values = {n: data.draw(st.floats(PARAMETERS[n].low, PARAMETERS[n].high)) for n in names}
        assert with_values(base, values) == base.replace(**values)

    check()


def test_a_particles_runs_use_the_seeds_a_sweep_with_its_seed_would(tmp_path):
    """A particle can be run again with `warnsim sweep` (seed = its seed)."""
    from sim.calibration.smc import Job
    from sim.sweep import parse_experiment, read_runs, run_experiment
    from sim.sweep.engine import plan
    from sim.sweep.seeds import replication_seeds

    calibration = load_calibration(toy_calibration(tmp_path, extra=""))
    e = dataclasses.replace(calibration.experiment, replications=3)
    template = dataclasses.replace(plan(e).template(toy), logs=())
    job = Job(template, calibration.parameters, 3, (calibration.targets[0].statistic,))
    stats_, failed, _ = simulate_particles(job, np.array([[0.7, 1.0]]), np.array([12345]))
    assert failed == 0
    sweep = parse_experiment('name = "again"\ndays = 1\nreplications = 3\nseed = 12345\n'
                             'record_warnings = false\n'
                             '[grid]\nhome_interdiction = [0.7]\nface_cost = [1.0]\n')
    run_experiment(sweep, out=tmp_path / "again", workers=1, progress=False, run_fn=toy)
    runs = read_runs(tmp_path / "again")
    assert runs["seed"].tolist() == replication_seeds(12345, 3)
    assert stats_[0, 0] == runs["warnings_heeded"].sum() / runs["warnings_delivered"].sum()


# --- targets: disjoint from validation, cases from the calibration half -------------------------

def test_every_statistic_the_validation_suite_checks_is_refused_as_a_target():
    from sim.validation.suite import CHECKS

    checked = validation_checks()
    for c in CHECKS:
        for name in (c.id, c.statistic):
            assert name in checked
            with pytest.raises(Exception, match=f"validation check {checked[name][0]} ") as err:
                statistic(name, origin="f [targets.t]")
            assert "calibrate on data you do not validate on" in str(err.value)
    assert statistic("heed_rate", origin="f").name == "heed_rate"


CASES = """case,sender,recipient,rivalry,details,channel,response,seen,date,source
Alpha,US,Russia,0.9,2,both,dismissed,yes,,a
Beta,Russia,US,0.6,1,private,investigated,no,2001-05,b
Gamma,Saudi Arabia,US,0.1,3,private,heeded,no,2010,c
"""
"""By the codebook's rule (sim.cases.halves) the calibration half holds ceil(3/2) = 2 cases: Alpha
(seen) and Beta (the earliest delivery); Gamma is held out."""


def test_case_targets_score_only_the_calibration_half(tmp_path):
    from sim.cases import parse_cases, score
    from sim.validation.scoring import brier, probabilities, recorded_index

    path = tmp_path / "cases.csv"
    path.write_text(CASES)
    half = calibration_half(path)
    assert [c.case for c in half] == ["Alpha", "Beta"]
    stat = statistic("cases_calibration_brier", origin="f", cases_file=path)
    params = ModelParams().replace(choice_temperature=0.1)
    cases = parse_cases(CASES, origin="t")[:2]
    assert stat.of_params(params) == pytest.approx(
        brier(probabilities(score(cases, params)), recorded_index(cases)))
    # The hold-out half does not count: recoding its response changes nothing.
    path.write_text(CASES.replace("heeded,no,2010", "dismissed,no,2010"))
    assert statistic("cases_calibration_brier", origin="f",
                     cases_file=path).of_params(params) == stat.of_params(params)


@pytest.mark.parametrize(("text", "expected"), [
    (CASES.replace(",no,2010,", ",no,,"),
     ["date: case 'Gamma' is not marked seen and has no date", "cannot be split into halves",
      "allowed: a date"]),
    (CASES.replace(",seen,date", "").replace(",yes,,", ",").replace(",no,2001-05,", ",")
     .replace(",no,2010,", ","), ["date: case 'Alpha' is not marked seen and has no date"]),
    (CASES.replace(",no,2010,", ",no,2010-13,"), ["line 4", "date: got '2010-13'"]),
])
def test_a_cases_file_that_cannot_be_split_into_halves_is_refused(tmp_path, capsys, text,
                                                                   expected):
    cases = tmp_path / "cases.csv"
    cases.write_text(text)
    path = toy_calibration(tmp_path, extra=f'cases = "{cases}"\n')
    path.write_text(path.read_text() + '\n[targets.cases]\nstatistic = "cases_calibration_brier"'
                    '\nvalue = 0\ntolerance = 0.667\n')
    assert main(["calibrate", str(path), "--out", str(tmp_path / "o")]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line
    for piece in expected:
        assert piece in line, (piece, line)


BAD = {
    "unknown method": ('method = "mcmc"', ["[calibration]: method: got 'mcmc'",
                                          "allowed: rejection, abc-smc"]),
    "rejection option": ('method = "abc-smc"\nconfirm = 3',
                         ["confirm: an option of method rejection",
                          'allowed with method = "abc-smc"', "generations"]),
    "abc option": ('generations = 3', ['generations: an option of method abc-smc',
                                       'allowed with method = "rejection": method, cases, '
                                       'confirm']),
    "budget below n": ('method = "abc-smc"\nbudget = 10',
                       ["budget: got 10", "at least [sample] n", "(40: generation 0"]),
    "quantile": ('method = "abc-smc"\nquantile = 1.5', ["quantile: got 1.5", "(0, 1)"]),
    "fixed without list": ('method = "abc-smc"\nschedule = "fixed"',
                           ["epsilons: got None", "decreasing"]),
    "rising list": ('method = "abc-smc"\nschedule = "fixed"\nepsilons = [1, 2]',
                    ["epsilons: got [1, 2]", "decreasing"]),
    "quantile with fixed": ('method = "abc-smc"\nschedule = "fixed"\nepsilons = [1]\n'
                            'quantile = 0.3', ['quantile: an option of schedule = "quantile"']),
    "kernel": ('method = "abc-smc"\nkernel = "gaussian"', ["kernel: got 'gaussian'",
                                                           "allowed: mvn, local"]),
    "distance": ('method = "abc-smc"\ndistance = 2', ["distance: got 2", "rms, mean, max"]),
    "min_acceptance": ('method = "abc-smc"\nmin_acceptance = 1', ["min_acceptance: got 1"]),
    "negative predictive": ('method = "abc-smc"\npredictive = -1', ["predictive: got -1"]),
    "unknown key": ('method = "abc-smc"\npopulation = 1000', ["population: unknown key",
                                                             "allowed: method, cases"]),
    "missing cases file": ('cases = "nowhere.csv"', ["cases:", "no such file"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_calibration_settings_are_one_line_and_exit_2(case, tmp_path, capsys):
    body, expected = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text('name = "b"\ndays = 5\n[sample]\nmethod = "lhs"\nn = 40\n[sample.ranges]\n'
                    f'rivalry = [0, 1]\n[calibration]\n{body}\n[targets.a]\n'
                    'statistic = "heed_rate"\nlow = 0\n')
    refused_in_one_line(path, tmp_path / "out", expected, capsys)


def test_an_integer_parameter_cannot_be_perturbed(tmp_path, capsys):
    path = tmp_path / "int.toml"
    path.write_text('name = "b"\n[sample]\nmethod = "lhs"\nn = 40\n[sample.ranges]\n'
                    'fabrication_lead_max = [5, 50]\n[calibration]\nmethod = "abc-smc"\n'
                    '[targets.a]\nstatistic = "heed_rate"\nlow = 0\n')
    assert main(["calibrate", str(path)]) == 2
    assert "fabrication_lead_max: abc-smc perturbs parameters continuously" in \
        capsys.readouterr().err


def test_the_guide_shows_every_calibration_option_as_declared():
    guide = (ROOT / "docs" / "guide" / "calibration.md").read_text(encoding="utf-8")
    block = guide.split("<!-- calibration-options:begin")[1].split("<!-- calibration-options:end")[0]
    assert block.split("-->\n", 1)[1].strip() == options_markdown()


def test_the_committed_calibration_runs_end_to_end_at_tiny_size(tmp_path):
    calibration = load_calibration(ROOT / "experiments" / "calibration.toml")
    assert calibration.method is Method.ABC_SMC and calibration.abc is not None
    assert calibration.abc.population >= 1000
    tiny = calibration.shrunk(days=30, replications=1, population=12, generations=1,
                              predictive=6)
    found = calibrate(tiny, out=tmp_path / "cal", workers=2, progress=False)
    assert isinstance(found, AbcOutcome)
    assert len(found.result.populations) == 2
    assert set(found.tables["abc_posterior"].frame["parameter"]) == set(calibration.parameters)
    assert len(found.tables["abc_predictive"].frame) == len(calibration.targets)
