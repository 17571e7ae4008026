"""Parameter declarations and scenario files: everything valid loads, everything invalid is named."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import numpy as np
import pytest

from sim.cases import builtin_cases, score
from sim.errors import UserError
from sim.params import PARAMETERS, ModelParams, ParameterError, check_mapping, parse_assignments
from sim.scenarios import load_scenario, parse_scenario, scenario_names, template
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


def _candidates(p) -> list:
    """Values of every type a caller passes, in range and at and beyond its bounds."""
    if p.choices is not None:
        return [p.default, p.choices[-1], p.choices[-1].upper(), "nonsense", 1]
    if p.kind is bool:
        return [True, False, np.bool_(True), 1, 0.0, "true"]
    edges = [p.low, p.high, (p.low + p.high) / 2, p.low - 1, p.high + 1]
    return [*edges, *(int(x) for x in edges), *(np.float64(x) for x in edges),
            *(np.int64(int(x)) for x in edges), float("nan"), float("inf"), -float("inf"),
            True, "1", 10**400]


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_construction_keeps_exactly_what_coerce_returns(name):
    """ModelParams skips coerce for values already of the declared type and in range: each
    value of each type is accepted, refused and stored (value and type) as coerce has it."""
    p = PARAMETERS[name]
    for value in _candidates(p):
        try:
            expected = p.coerce(value)
        except ParameterError:
            with pytest.raises(ParameterError, match=name):
                ModelParams(**{name: value})
            continue
        got = getattr(ModelParams(**{name: value}), name)
        assert type(got) is type(expected) and got == expected, (name, value)


def test_typed_values_from_toml_are_checked():
    assert check_mapping({"rivalry": 1, "impending_horizon": 10.0}) == {"rivalry": 1.0, "impending_horizon": 10}
    for bad in ({"rivalry": True}, {"rivalry": "0.5"}, {"learning": 1},
                {"impending_horizon": 10.5}, {"rivalry": float("nan")}):
        with pytest.raises(ParameterError):
            check_mapping(bad, origin="exp.toml")


def test_error_names_origin_key_and_allowed_values():
    with pytest.raises(ParameterError) as info:
        check_mapping({"false_lead_rate": 50}, origin="experiments/x.toml")
    assert str(info.value) == "experiments/x.toml: false_lead_rate: got 50; allowed: a number in [0, 20]"


def test_command_line_assignments_parse_every_kind():
    parsed = parse_assignments(["rivalry=0.25", "impending_horizon=12", "learning=no",
                                "doctrine=NON_RIVALS", "no_liaison_route=Public"])
    assert parsed["rivalry"] == 0.25 and parsed["impending_horizon"] == 12
    assert parsed["learning"] is False and parsed["doctrine"].value == "non_rivals"
    assert parsed["no_liaison_route"].value == "public"


@pytest.mark.parametrize("item", ["rivalry=\uff10.5", "impending_horizon=\uff11\uff12"])
def test_command_line_numbers_must_be_ascii(item):
    # float() and int() accept full-width digits; a design should read the same in every tool.
    with pytest.raises(ParameterError, match="is not"):
        parse_assignments([item])


def test_built_in_scenarios_load_and_rivalry_scales_the_cross_bloc_factors():
    assert {"default", "world-2024"} <= set(scenario_names())
    scenario = load_scenario("default")
    assert scenario.size == 12 and len({a.bloc for a in scenario.agencies}) == 3
    assert scenario.no_liaison
    rivalry = scenario.rivalry_matrix(ModelParams(rivalry=0.6))
    blocs = [a.bloc for a in scenario.agencies]
    for i, a in enumerate(blocs):
        for j, b in enumerate(blocs):
            if i == j:
                continue
            expected = (ModelParams().within_bloc_rivalry if a == b
                        else min(1.0, 0.6 * scenario.bloc_factors[(a, b)]))
            assert rivalry[i, j] == pytest.approx(expected)


def test_default_scenario_has_dyads_in_every_rivalry_band():
    from sim.schema import BANDS, band_of

    rivalry = load_scenario("default").rivalry_matrix(ModelParams())
    off = ~np.eye(len(rivalry), dtype=bool)
    assert {band_of(float(x)) for x in rivalry[off]} == set(BANDS)


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
        ("[[agency]]\nname = 'Q'\ncolour = 'red'\n", "agency 'Q': unknown key 'colour'"),
        ("[liaison]\nnone = [['S', 'Q']]\n", "liaison.none #1: unknown agency 'Q'"),
        ("[bloc_rivalry]\n'A:Z' = 1.0\n", "bloc_rivalry.A:Z: expected 'blocA:blocB'"),
        ("[[shift]]\nday = -1\nbetween = ['A', 'B']\nrivalry = 0.5\n", "shift #1.day"),
        ("[[shift]]\nday = 3\nbetween = ['A', 'Z']\nrivalry = 0.5\n", "'Z' is neither an agency nor a bloc"),
        ("[[pair]]\nfrom = 'S'\nto = 'R'\nrivalry = 3\n", "pair #1.rivalry: got 3"),
        ("[[agency]]\nname = 'S'\nbloc = 'A'\ncapability = 1\nhome_security = 0\nsource_sensitivity = 0\n",
         "agency 'S': names must be unique"),
        ("[blocs]\nA = 'a'\n", "agency 'R': bloc 'B' is not declared in [blocs]; allowed: A"),
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
    with pytest.raises(UserError, match=r"agency 'S': capability: got 1.8"):
        parse_scenario(text, origin="bad.toml")
    text = TRIO.replace('doctrine = "warn_all"', 'doctrine = "sometimes"', 1)
    with pytest.raises(UserError, match="allowed: warn_all, non_rivals, never"):
        parse_scenario(text, origin="bad.toml")
    with pytest.raises(UserError, match="not valid TOML"):
        parse_scenario("name = ", origin="bad.toml")


def test_built_in_cases_carry_their_source_and_the_counter_cases():
    cases = {c.case: c for c in builtin_cases()}
    assert {"Crocus City Hall 2024", "Kerman 2024", "Venezuela 2004", "Tsarnaev 2011",
            "Yemen cargo bombs 2010", "Sri Lanka Easter 2019", "Brussels 2016"} <= set(cases)
    assert all(c.source for c in cases.values())


def test_case_probabilities_are_a_distribution_over_the_three_responses():
    for s in score(builtin_cases()):
        total = s.choice.heed + s.choice.investigate + s.choice.dismiss
        assert total == pytest.approx(1.0) and min(s.choice.heed, s.choice.investigate) >= 0


def test_warning_overload_makes_an_ally_dismiss_a_specific_warning():
    """The counter-cases' mechanism: the same specific warning from an ally is heeded by a
    recipient with attention to spare and dismissed by one with many protective actions in force.
    Overload acts through the fixed part of the action's cost only, ``action_cost x (1 + load /
    attention_capacity)`` (sim.consequences.action_cost), so the test sets it (0.28, the value
    before the stake part existed, with stake_cost 0). At the defaults the fixed part is 0: the
    cost does not grow with load, and the security one more action diverts falls with it, so
    heeding can only become likelier (every other response's utility rises by at most as much
    as heeding's)."""
    sri_lanka = next(c for c in builtin_cases() if c.case.startswith("Sri Lanka"))
    from dataclasses import replace

    cases = [replace(sri_lanka, load=0), replace(sri_lanka, load=20)]
    rested, stretched = score(cases, ModelParams(action_cost=0.28, stake_cost=0.0))
    assert rested.choice.heed > 0.5 > stretched.choice.heed
    rested, stretched = score(cases, ModelParams(action_cost=0.0))
    assert stretched.choice.heed >= rested.choice.heed - 1e-12


def test_public_channel_costs_a_rival_face_in_the_case_scores():
    crocus = next(c for c in builtin_cases() if c.case.startswith("Crocus"))
    from dataclasses import replace

    from sim.enums import Channel

    public, private = score([crocus, replace(crocus, channel=Channel.PRIVATE)])
    assert public.choice.heed <= private.choice.heed


def test_the_loader_accepts_exactly_the_declared_keys():
    """The keys the docs list (generated from these declarations) are the keys the loader takes."""
    import tomllib

    from sim import scenarios
    from sim.keys import names

    text = template()
    parse_scenario(text, origin="template")
    data = tomllib.loads(text)
    assert set(data) <= names(scenarios.TOP_KEYS)
    assert set(data["agency"][0]) <= names(scenarios.AGENCY_KEYS)
    for table, keys in (("top level", scenarios.TOP_KEYS), ("agency", scenarios.AGENCY_KEYS),
                        ("pair", scenarios.PAIR_KEYS), ("shift", scenarios.SHIFT_KEYS)):
        assert keys, table
    # an undeclared key is refused, naming the declared ones
    with pytest.raises(UserError, match="unknown key 'colour'; allowed: agency, bloc_rivalry"):
        parse_scenario('colour = "red"\n' + text, origin="template")
    bad_agency = text.replace('name = "N1"', 'name = "N1"\ncolour = "red"', 1)
    with pytest.raises(UserError, match="agency 'N1': unknown key 'colour'"):
        parse_scenario(bad_agency, origin="template")
    # a required key missing is refused
    missing = text.replace("capability = 0.8            #", "# capability = 0.8            #", 1)
    with pytest.raises(UserError, match="agency 'N1': capability: missing"):
        parse_scenario(missing, origin="template")
    docs = (Path(__file__).resolve().parents[1] / "docs" / "scenarios.md").read_text()
    assert "<!-- generated: scenario_keys -->" in docs
    assert '--8<-- "sim/data/templates/scenario.toml"' in docs
