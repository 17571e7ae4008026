"""Parameter declarations and scenario files: everything valid loads, everything invalid is named."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import numpy as np
import pytest

from sim.cases import builtin_cases, score
from sim.decision import Judgement
from sim.params import PARAMETERS, ModelParams, ParameterError, check_mapping, parse_assignments
from sim.scenarios import load_scenario, parse_scenario, scenario_names
from tests.conftest import TRIO


def test_every_declaration_is_complete_and_its_default_valid():
    for p in PARAMETERS.values():
        assert p.doc and p.group, p.name
        if p.is_numeric:
            assert p.low is not None and p.high is not None and p.low <= p.default <= p.high
            assert p.unit, p.name
        assert p.coerce(p.default) == p.default
    assert ModelParams().to_dict() == {
        n: (p.default.value if isinstance(p.default, Enum) else p.default) for n, p in PARAMETERS.items()
    }


def test_direct_construction_is_validated_too():
    with pytest.raises(ParameterError, match=r"rivalry: got -0\.1"):
        ModelParams(rivalry=-0.1)
    with pytest.raises(ParameterError, match="doctrine"):
        ModelParams(doctrine="often")
    assert ModelParams(doctrine="never").doctrine.value == "never"


def test_typed_values_from_toml_are_checked():
    assert check_mapping({"rivalry": 1, "impending_horizon": 10.0}) == {"rivalry": 1.0, "impending_horizon": 10}
    for bad in ({"rivalry": True}, {"rivalry": "0.5"}, {"public_when_no_liaison": 1},
                {"impending_horizon": 10.5}, {"rivalry": float("nan")}):
        with pytest.raises(ParameterError):
            check_mapping(bad, origin="exp.toml")


def test_error_names_origin_key_and_allowed_values():
    with pytest.raises(ParameterError) as info:
        check_mapping({"false_lead_rate": 50}, origin="experiments/x.toml")
    assert str(info.value) == "experiments/x.toml: false_lead_rate: got 50; allowed: a number in [0, 20]"


def test_command_line_assignments_parse_every_kind():
    parsed = parse_assignments(["rivalry=0.25", "impending_horizon=12", "public_when_no_liaison=no",
                                "doctrine=NON_RIVALS"])
    assert parsed["rivalry"] == 0.25 and parsed["impending_horizon"] == 12
    assert parsed["public_when_no_liaison"] is False and parsed["doctrine"].value == "non_rivals"


def test_built_in_scenarios_load_and_default_rivalry_means_cross_bloc_rivalry():
    assert {"default", "world-2024"} <= set(scenario_names())
    scenario = load_scenario("default")
    assert scenario.size == 12 and len({a.bloc for a in scenario.agencies}) == 3
    assert scenario.no_liaison
    rivalry = scenario.rivalry_matrix(ModelParams(rivalry=0.9))
    blocs = np.array([a.bloc for a in scenario.agencies])
    cross = blocs[:, None] != blocs[None, :]
    assert np.allclose(rivalry[cross], 0.9)
    assert np.allclose(rivalry[~cross & ~np.eye(12, dtype=bool)], ModelParams().within_bloc_rivalry)


def test_world_2024_codes_the_cases_dyads_as_rivals():
    scenario = load_scenario("world-2024")
    names = [a.name for a in scenario.agencies]
    rivalry = scenario.rivalry_matrix(ModelParams())
    us, ru, ir = names.index("CIA"), names.index("FSB"), names.index("MOIS")
    uk = names.index("MI6")
    assert rivalry[us, ru] > 0.8 and rivalry[us, ir] > 0.9 and rivalry[us, uk] < 0.2
    liaison = scenario.liaison_matrix()
    assert not liaison[us, ir] and liaison[us, ru]


def test_a_scenario_file_path_is_accepted(tmp_path: Path):
    path = tmp_path / "mine.toml"
    path.write_text(TRIO)
    assert load_scenario(str(path)).size == 3


def test_asymmetric_pair_rivalry():
    scenario = parse_scenario(TRIO + '[[pair]]\nfrom = "S"\nto = "R"\nrivalry = 0.2\n', origin="x")
    m = scenario.rivalry_matrix(ModelParams(rivalry=0.8))
    assert m[0, 1] == pytest.approx(0.2) and m[1, 0] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("[[agency]]\nname = 'Q'\ncolour = 'red'\n", "agency[3]: unknown key 'colour'"),
        ("[liaison]\nnone = [['S', 'Q']]\n", "liaison.none[0]: unknown agency 'Q'"),
        ("[bloc_rivalry]\n'A:Z' = 1.0\n", "bloc_rivalry.A:Z: expected 'blocA:blocB'"),
        ("[[shift]]\nday = -1\nbetween = ['A', 'B']\nrivalry = 0.5\n", "shift[0].day"),
        ("[[shift]]\nday = 3\nbetween = ['A', 'Z']\nrivalry = 0.5\n", "'Z' is neither an agency nor a bloc"),
        ("[[pair]]\nfrom = 'S'\nto = 'R'\nrivalry = 3\n", "pair[0].rivalry: got 3"),
        ("[[agency]]\nname = 'S'\nbloc = 'A'\ncapability = 1\nhome_security = 0\nsource_sensitivity = 0\n",
         "names must be unique"),
    ],
)
def test_bad_scenario_files_name_the_key(extra, needle):
    from sim.errors import UserError

    with pytest.raises(UserError, match=None) as info:
        parse_scenario(TRIO + extra, origin="bad.toml")
    assert str(info.value).startswith("bad.toml: ") and needle in str(info.value)


def test_bad_agency_values_are_named():
    from sim.errors import UserError

    with pytest.raises(UserError, match="top level: unknown key 'colour'"):
        parse_scenario("colour = 'red'\n" + TRIO, origin="bad.toml")

    text = TRIO.replace("capability = 0.8", "capability = 1.8")
    with pytest.raises(UserError, match=r"agency\[0\]\.capability: got 1.8"):
        parse_scenario(text, origin="bad.toml")
    text = TRIO.replace('doctrine = "warn_all"', 'doctrine = "sometimes"', 1)
    with pytest.raises(UserError, match="allowed: warn_all, non_rivals, never"):
        parse_scenario(text, origin="bad.toml")
    with pytest.raises(UserError, match="not valid TOML"):
        parse_scenario("name = ", origin="bad.toml")


def test_judgement_reduces_to_josang_beta_reputation():
    """With a uniform prior of weight 2, intent is (r + 1) / (r + s + 2) (Josang & Ismail 2002)."""
    j = Judgement.from_params(ModelParams(prior_weight=2.0, prior_trust_ally=0.5, prior_trust_rival=0.5))
    for r, s in [(0, 0), (3, 1), (0, 4), (10, 2)]:
        assert j.intent(0.3, r, s) == pytest.approx((r + 1) / (r + s + 2))


def test_heed_probability_is_monotone_in_each_input():
    j = Judgement.from_params(ModelParams())
    grid = np.linspace(0, 1, 11)
    assert np.all(np.diff([j.heed_probability(c, 0.5, False) for c in grid]) > 0)  # credibility up
    assert np.all(np.diff([j.heed_probability(0.6, r, False) for r in grid]) < 0)  # rivalry up
    assert j.heed_probability(0.6, 0.5, True) < j.heed_probability(0.6, 0.5, False)
    assert np.all(np.diff([j.credibility(0.5, d, False) for d in range(4)]) > 0)  # details up
    assert j.credibility(0.5, 1, True) > j.credibility(0.5, 1, False)


def test_logistic_is_stable_at_extremes():
    from sim.decision import logistic

    assert logistic(1e4) == 1.0 and logistic(-1e4) == 0.0 and logistic(0.0) == 0.5
    j = Judgement.from_params(ModelParams(choice_temperature=0.01, action_cost=10))
    assert 0.0 <= j.heed_probability(0.0, 1.0, True) < 1e-12


def test_seed_article_cases_are_all_more_likely_dismissed_than_heeded():
    """Face validation: every recorded response in the brief's table was not a plain heed."""
    scored = {s.case.case: s for s in score(builtin_cases())}
    assert all(s.heed_probability < 0.5 for s in scored.values())
    assert scored["Crocus City Hall 2024"].heed_probability < scored["Tsarnaev 2011"].heed_probability
