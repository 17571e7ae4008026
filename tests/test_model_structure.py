"""The model layer's structure: modules by mechanism without import cycles, keyword construction
for Mesa's own tools, and declarations that tools can read."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.outcomes import OUTCOME_NAMES
from sim.params import PARAMETERS, ParameterError

SIM = Path(__file__).resolve().parents[1] / "sim"
MODEL_LAYER = ("errors", "enums", "params", "schema", "outcomes", "scenarios", "jit", "rng",
               "world", "log", "queues", "protocol", "ledger", "consequences", "inference",
               "engine", "observe", "readout", "agents", "model", "run", "scripted", "cases")
"""The model layer, ground first (sweep, analysis, viz and the CLI sit on top of it)."""


def imports_of(module: str) -> set[str]:
    """The ``sim.*`` model-layer modules ``module`` imports anywhere (typing-only imports too)."""
    tree = ast.parse((SIM / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("sim.")}
    return found & set(MODEL_LAYER)


def test_model_layer_has_no_import_cycle():
    graph = {m: imports_of(m) for m in MODEL_LAYER}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join([*path, node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        state[node] = 2

    for module in MODEL_LAYER:
        visit(module, [])


def test_every_model_module_imports_alone():
    code = (
        "import importlib, sys\n"
        f"for name in {list(MODEL_LAYER)!r}:\n"
        "    for key in [k for k in sys.modules if k == 'sim' or k.startswith('sim.')]:\n"
        "        del sys.modules[key]\n"
        "    importlib.import_module('sim.' + name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_the_mesa_glue_is_thin():
    """The model and its agents are Mesa glue over the kernels, under 200 lines
    each; mechanisms live in their own modules, what the model shows in sim/readout.py."""
    for module in ("model", "agents"):
        lines = len((SIM / f"{module}.py").read_text(encoding="utf-8").splitlines())
        assert lines < 200, f"sim/{module}.py has {lines} lines"


def test_the_ground_imports_nothing_above_it():
    assert imports_of("schema") == set() and imports_of("enums") == set()
    assert imports_of("params") <= {"enums", "errors"}


def test_keyword_construction_as_mesa_tools_use_it():
    from sim.model import WarningModel
    from sim.run import release

    model = WarningModel(rivalry=0.9, scenario="default", seed=1, days=20)
    assert model.params.rivalry == 0.9 and model.running
    model.run()
    assert not model.running and model.steps == 20
    release(model)
    with pytest.raises(ParameterError, match="rivalri: unknown parameter"):
        WarningModel(rivalri=0.9)


def test_mesa_batch_run_drives_the_model():
    import mesa

    from sim.model import WarningModel

    rows = mesa.batch_run(WarningModel, parameters={"rivalry": [0.2, 0.9], "days": 15,
                                                   "record_series": True},
                          iterations=1, max_steps=15, number_processes=1, display_progress=False)
    assert len(rows) == 2 and {r["rivalry"] for r in rows} == {0.2, 0.9}
    assert all("mean_trust" in r and r["Step"] == 14 for r in rows)
    with_agents = mesa.batch_run(WarningModel, parameters={"days": 5, "record_agents": True},
                                 iterations=1, max_steps=5, number_processes=1,
                                 display_progress=False)
    assert len(with_agents) == 12 and all("AgentID" in r for r in with_agents)


def test_batch_run_at_the_defaults_reports_the_outcomes_and_keeps_no_model():
    """The issue's call, verbatim: four rows with the outcomes as columns; afterwards none of
    the models it built is alive (Mesa 3.3.1 keeps models in Agent._ids; the control shows it
    does). Each model is tracked by a weak reference, so models that other tests keep alive in
    the same worker do not matter, and ``gc.collect()`` runs before every look."""
    import gc
    import weakref

    import mesa

    from sim.model import WarningModel

    built: list[weakref.ref] = []

    class Tracked(WarningModel):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(**kwargs)
            built.append(weakref.ref(self))

    registered = len(mesa.Agent._ids)
    rows = mesa.batch_run(Tracked, parameters={"rivalry": [0.1, 0.9], "seed": [1, 2]},
                          iterations=1, max_steps=120, number_processes=1,
                          data_collection_period=-1, display_progress=False)
    assert len(rows) == 4 and all(r["Step"] == 120 for r in rows)
    assert all(set(OUTCOME_NAMES) <= r.keys() for r in rows)
    assert {(r["rivalry"], r["seed"]) for r in rows} == {(a, b) for a in (0.1, 0.9) for b in (1, 2)}
    assert len({r["warnings_sent"] for r in rows}) > 1
    del rows
    gc.collect()
    assert len(built) == 4 and all(ref() is None for ref in built)
    assert len(mesa.Agent._ids) == registered

    class Plain(mesa.Model):
        def __init__(self) -> None:
            super().__init__(seed=1)
            mesa.Agent(self)

    kept = weakref.ref(Plain())
    gc.collect()
    assert kept() is not None  # the control: Mesa itself keeps it
    mesa.Agent._ids.pop(kept())
    gc.collect()
    assert kept() is None


# Mesa 3.3.1's own ComponentsView trips Solara's hook check (a warning about Mesa's code)
@pytest.mark.filterwarnings("ignore:.*found despite early return:UserWarning")
def test_mesa_solara_viz_accepts_the_model_at_its_defaults():
    """Mesa's own SolaraViz (warnsim's view is plain Solara, but a user may reach for Mesa's):
    the page renders around ``WarningModel()`` with a plot of one DataCollector model reporter
    and a slider made from a declaration, and Mesa's own controls drive the model: Step
    advances one day, collected by the DataCollector; Reset builds a new model from the
    page's parameters (the slider's value and fixed ones), as Mesa passes them, by keyword."""
    solara = pytest.importorskip("solara", reason="the viz extra is not installed")
    import ipyvuetify as vw
    import ipywidgets
    from mesa.visualization import Slider, SolaraViz, make_plot_component
    from mesa.visualization.solara_viz import ModelController, ModelCreator

    from sim.model import WarningModel

    declared = PARAMETERS["rivalry"]
    params = {"rivalry": Slider(declared.label, declared.default, declared.low, declared.high,
                                0.05),
              "days": 30, "seed": 3}
    model = WarningModel()
    page = SolaraViz(model, components=[make_plot_component("warnings_sent")],
                     model_params=params, name="warnsim")
    _, rendered = solara.render(page, handle_error=False)
    assert bytes(rendered.find(ipywidgets.Image).widget.value[:8]) == b"\x89PNG\r\n\x1a\n"

    # The sidebar's controls (a portal outside the rendered tree): the same components of Mesa
    shown = solara.reactive(model)

    @solara.component
    def Controls():
        parameters = solara.use_reactive({})
        ModelController(shown, model_parameters=parameters,
                        play_interval=solara.use_reactive(100),
                        render_interval=solara.use_reactive(1),
                        use_threads=solara.use_reactive(False))
        ModelCreator(shown, params, model_parameters=parameters)

    _, controls = solara.render(Controls(), handle_error=False)
    slider = controls.find(vw.Slider).widget
    assert (slider.label, slider.v_model) == (declared.label, declared.default)
    step = controls.find(vw.Btn, children=["Step"]).widget
    for _ in range(2):
        step.click()
    assert (model.day, model.steps, model.days) == (2, 2, 365)
    assert len(model.datacollector.get_model_vars_dataframe()["warnings_sent"]) == 2
    slider.v_model = 0.3
    controls.find(vw.Btn, children=["Reset"]).widget.click()
    rebuilt = shown.value
    assert rebuilt is not model and rebuilt.day == 0
    assert (rebuilt.days, rebuilt.seed, rebuilt.params.rivalry) == (30, 3, 0.3)


def test_params_json_describes_every_declaration(capsys):
    assert main(["params", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(PARAMETERS)
    for r in rows:
        assert {"name", "type", "default", "low", "high", "choices", "unit", "group",
                "meaning"} <= r.keys()
        assert r["type"] in {"real", "integer", "categorical", "boolean"}
        numeric = r["type"] in {"real", "integer"}
        assert (r["low"] is not None) == numeric and (r["choices"] is not None) == (
            r["type"] == "categorical")


def test_no_outcome_shares_a_name_with_a_parameter_or_a_run_column():
    run_columns = {"run_id", "point_id", "replication", "seed", "days", "scenario", "status",
                   "error"}
    assert not set(OUTCOME_NAMES) & set(PARAMETERS)
    assert not set(OUTCOME_NAMES) & run_columns and not set(PARAMETERS) & run_columns


def test_waiver_outcomes_are_generated_from_the_enum():
    from sim.enums import WaiverReason

    assert {n for n in OUTCOME_NAMES if n.startswith("waived_")} == {
        f"waived_{r.value}" for r in WaiverReason}


def test_log_columns_do_not_share_names_with_parameters():
    """Analyses join the warning log with each run's parameters: a shared name would collide.
    ``rivalry`` is the one documented exception (the dyad's rivalry in the log, the cross-bloc
    scale in the parameters; the analysis treats it as such)."""
    from sim.schema import SERIES_COLUMNS, WARNING_COLUMNS

    assert set(WARNING_COLUMNS) & set(PARAMETERS) == {"rivalry"}
    assert not set(SERIES_COLUMNS) & set(PARAMETERS)
