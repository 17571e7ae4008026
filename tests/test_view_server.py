"""``warnsim view`` without a browser: where it listens, the --host warning, bad input, stop
signals, the session limits, the values and scenarios a page may send, the controls derived
from the declarations, the page's error line (the page rendered in-process, its widgets set as
the websocket would set them) and the drawings of a model's state."""

from __future__ import annotations

import dataclasses
import html
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.enums import Response
from sim.errors import UserError
from sim.params import PARAMETERS, ModelParams
from sim.run import release, warm
from sim.scenarios import load_scenario, scenario_names

pytest.importorskip("solara", reason="the viz extra is not installed (make test installs it)")

from sim.viz.config import MAX_SCENARIO_BYTES, ScenarioChoices, ViewConfig
from sim.viz.controls import HIDDEN_GROUPS, accept, control, declarations, defaults, run_settings
from sim.viz.figures import (
    BLOC_COLOURS,
    LOG_COLUMNS,
    MIN_NAME_SIZE,
    NODE_RADIUS,
    contrast,
    heed_by_band,
    name_size,
    network_svg,
    plots_svg,
    recent_log,
    text_width,
    trust_colour,
)
from sim.viz.limits import LIMITS, SessionLimits
from sim.viz.viewmodel import Frame, Pacer, Session, ViewModel, memory_estimate
from sim.viz.worker import ProcessSession

SVG = "{http://www.w3.org/2000/svg}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> set[str]:
    """Local addresses listening on ``port`` (Linux /proc/net/tcp)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            out.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return out


def _serve(*args: str):
    return subprocess.Popen([sys.executable, "-m", "sim", "view", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _stop(proc, signum: int = signal.SIGTERM) -> tuple[str, str]:
    os.killpg(proc.pid, signum)
    try:
        return proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.communicate()


def _wait_listening(port: int, proc, timeout: float = 90) -> set[str]:
    deadline = time.monotonic() + timeout
    while not (found := _listening(port)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the view did not start listening"
        time.sleep(0.2)
    return found


needs_proc_net = pytest.mark.skipif(not Path("/proc/net/tcp").exists(),
                                    reason="needs Linux /proc/net/tcp")


# --- the server -------------------------------------------------------------------------------
@needs_proc_net
def test_another_host_prints_a_warning_first():
    port = _free_port()
    proc = _serve("--host", "127.0.0.2", "--port", str(port))  # another address, still loopback
    try:
        assert _wait_listening(port, proc) == {"127.0.0.2"}
    finally:
        _, err = _stop(proc)
    warning = [line for line in err.splitlines() if line.startswith("warnsim: warning:")]
    assert len(warning) == 1
    assert "--host 127.0.0.2" in warning[0] and f"port {port}" in warning[0]
    assert "anyone who can reach" in warning[0]


@needs_proc_net
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_the_view_listens_on_loopback_and_stops_on_a_signal_in_one_line(signum, status):
    port = _free_port()
    proc = _serve("--port", str(port))
    assert _wait_listening(port, proc) == {"127.0.0.1"}  # this machine only, by default
    _, err = _stop(proc, signum)
    assert proc.returncode == status
    assert "Traceback" not in err and "Abort" not in err and "warning" not in err
    name = signal.Signals(signum).name
    assert [x for x in err.splitlines() if x.startswith("warnsim:")] == [
        f"warnsim: view stopped ({name})"]


@pytest.mark.parametrize(("args", "words"), [
    (["--scenario", "nope"], "unknown scenario 'nope'"),
    (["--port", "70000"], "allowed: an integer in [0, 65535]"),
    (["--scenario", "missing.toml"], "scenario"),
])
def test_bad_view_input_is_one_line_exit_2(args, words):
    done = subprocess.run([sys.executable, "-m", "sim", "view", *args], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    lines = [x for x in done.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("warnsim: error:") and words in lines[0]


@pytest.mark.parametrize(("args", "words"), [
    (["--limit", "days=abc"], "--limit: days: 'abc' is not an integer in [10, 100000]"),
    (["--limit", "days=5"], "--limit: days: got 5; allowed: an integer in [10, 100000]"),
    (["--limit", "sessions=3"], "--limit: sessions: unknown limit; allowed: days, speed, cpu, "
                                "memory, idle"),
    (["--limit", "cpu"], "--limit: cpu: expected key=value"),
    (["--scenarios", "no/such/folder"], "--scenarios: no/such/folder is not a folder"),
    (["--scenarios", ".", "--scenario", "/etc/hostname"], "--scenario: '/etc/hostname' is "
                                                          "neither a built-in scenario nor"),
])
def test_bad_limits_and_scenario_folders_are_one_line_exit_2(args, words, capsys):
    from sim.cli import main

    assert main(["view", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"warnsim: error: {words}" + err.split(words, 1)[1]
    assert err.count("\n") == 1


def test_a_port_in_use_is_refused():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "sim", "view", "--port", str(port)],
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"warnsim: error: --port {port}: cannot listen on "
                                   f"127.0.0.1:{port} (already in use)")


# --- limits, declared once -------------------------------------------------------------------------
def test_limits_are_declared_once_and_reach_the_cli_and_the_page():
    fields = {f.name: f.default for f in dataclasses.fields(SessionLimits)}
    assert fields == {k: p.default for k, p in LIMITS.items()}
    help_text = subprocess.run([sys.executable, "-m", "sim", "view", "--help"],
                               capture_output=True, text=True, timeout=60, check=True).stdout
    flat = " ".join(help_text.split())
    lines = SessionLimits().lines()
    for (name, spec), line in zip(LIMITS.items(), lines, strict=True):
        assert f"{name} ({spec.unit}, default {spec.default:g})" in flat
        assert line.startswith(f"{spec.label}: ")
    assert SessionLimits.parse(["days=365", "speed=20"]) == SessionLimits(days=365, speed=20)
    with pytest.raises(UserError, match="memory: got -1"):
        SessionLimits(memory=-1)
    # the controls' ranges follow the limits
    settings_ = run_settings(SessionLimits(days=500, speed=30))
    assert (settings_["days"].high, settings_["days"].default) == (500, 500)
    assert (settings_["speed"].high, settings_["speed"].default) == (30, 10)


def test_the_docs_list_the_declared_limits():
    from sim.viz.limits import TABLE_BEGIN, TABLE_END, markdown

    text = (Path(__file__).resolve().parents[1] / "docs" / "view.md").read_text("utf-8")
    start = text.index(TABLE_BEGIN) + len(TABLE_BEGIN)
    assert text[start:text.index(TABLE_END, start)].strip("\n") + "\n" == markdown(), (
        "docs/view.md: the limits table differs from sim/viz/limits.py; paste "
        "`python -c 'from sim.viz.limits import markdown; print(markdown())'`")


def test_controls_come_from_the_declarations():
    controls = declarations(SessionLimits())
    shown = [p for p in PARAMETERS.values() if p.group not in HIDDEN_GROUPS]
    assert {p.name for p in shown} <= set(controls)
    assert not {p.name for p in PARAMETERS.values() if p.group in HIDDEN_GROUPS} & set(controls)
    for spec in shown:
        info = control(spec)
        assert info["label"].startswith(spec.label)
        if spec.choices:
            assert info["type"] == "Select" and info["values"] == list(spec.choices)
            assert info["value"] == spec.default.value
        elif spec.kind is bool:
            assert info["type"] == "Checkbox" and info["value"] is spec.default
        else:
            assert (info["min"], info["max"]) == (spec.low, spec.high)
            steps = (info["value"] - info["min"]) / info["step"]
            assert abs(steps - round(steps)) < 1e-6, spec.name  # the default is on the grid
            if spec.kind is float:
                assert (info["max"] - info["min"]) / info["step"] >= 50, spec.name


# --- values the page sends -----------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats() | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                   max_size=3),
    max_leaves=6)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(declarations(SessionLimits()))), raw=JSON_VALUES)
def test_any_value_the_page_sends_is_accepted_in_range_or_refused_in_one_line(name, raw):
    spec = declarations(SessionLimits())[name]
    try:
        value = accept(spec, raw)
    except UserError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(f"{name}: ")
        assert "allowed:" in message or "is not" in message
        return
    assert spec.coerce(value) == (value if not spec.choices else spec.kind(value))
    if spec.is_numeric:
        assert math.isfinite(value) and spec.low <= value <= spec.high


@pytest.mark.parametrize(("raw", "ok"), [
    ("0.25", 0.25), (0.25, 0.25), ("1", 1.0), (1, 1.0), ("abc", None), ("nan", None),
    ("inf", None), ("1e400", None), ("\uff10.\uff15", None), (True, None), (None, None), ([0.5], None),
    ({"v": 0.5}, None), ("2", None), (-0.1, None), ("0.5" * 30, None),
])
def test_a_rivalry_value_is_checked(raw, ok):
    spec = PARAMETERS["rivalry"]
    if ok is None:
        with pytest.raises(UserError, match=r"^rivalry: .*(allowed: a number in \[0, 1\]|is not a number)"):
            accept(spec, raw)
    else:
        assert accept(spec, raw) == ok


def test_choices_and_switches_are_checked():
    assert accept(PARAMETERS["doctrine"], "never") == "never"
    with pytest.raises(UserError, match=r"doctrine: .*allowed: one of scenario"):
        accept(PARAMETERS["doctrine"], "../../etc/passwd")
    assert accept(PARAMETERS["learning"], False) is False
    for bad in ("true", 1, None):
        with pytest.raises(UserError, match=r"learning: .*allowed: true or false"):
            accept(PARAMETERS["learning"], bad)


# --- scenarios: the built-in ones and the folder named at start-up -------------------------------------
def _scenario_text(name: str) -> str:
    from importlib import resources

    text = (resources.files("sim") / "data" / "scenarios" / "default.toml").read_text("utf-8")
    return re.sub(r'^name = ".*"$', f'name = "{name}"', text, count=1, flags=re.M)


@pytest.fixture
def scenario_folder(tmp_path):
    root = tmp_path / "mine"
    (root / "sub").mkdir(parents=True)
    (root / "relay.toml").write_text(_scenario_text("relay"))
    (root / "sub" / "private.toml").write_text(_scenario_text("private"))
    (root / "broken.toml").write_text("[[agency]\n")
    (root / "big.toml").write_text("#" * (MAX_SCENARIO_BYTES + 1))
    (root / "notes.txt").write_text("not a scenario")
    secret = tmp_path / "secret.toml"
    secret.write_text(_scenario_text("secret"))
    (root / "link.toml").symlink_to(secret)
    (root / "outside").symlink_to(tmp_path, target_is_directory=True)
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "pipe.toml")
    return root


def test_a_session_chooses_only_builtin_scenarios_and_files_under_the_folder(scenario_folder):
    choices = ScenarioChoices(folder=scenario_folder.resolve())
    assert choices.labels() == [*scenario_names(), "big.toml", "broken.toml", "relay.toml",
                                "sub/private.toml"]
    assert choices.load("relay.toml").name == "relay"
    assert choices.load("sub/private.toml").name == "private"
    assert choices.load("world-2024").name == load_scenario("world-2024").name
    secret = str(scenario_folder.parent / "secret.toml")
    for sent in (secret, "link.toml", "pipe.toml", "../secret.toml", "outside/secret.toml",
                 "/etc/passwd", "notes.txt", ["relay.toml"], None, 7):
        with pytest.raises(UserError, match=r"^scenario: .* is not offered; allowed: default, ") as exc:
            choices.load(sent)
        assert str(scenario_folder.parent) not in str(exc.value)
    for label, words in (("big.toml", "larger than 1,000,000 bytes"),
                         ("broken.toml", "not valid TOML")):
        with pytest.raises(UserError, match=words) as exc:
            choices.load(label)
        assert str(exc.value).startswith(f"scenario {label}: ")
        assert str(scenario_folder.parent) not in str(exc.value)


def test_view_start_settles_the_first_scenario(scenario_folder, tmp_path):
    config = ViewConfig.start("relay.toml", scenario_folder, SessionLimits())
    assert config.scenario == "relay.toml"
    assert ViewConfig.start(str(scenario_folder / "sub" / "private.toml"), scenario_folder,
                            SessionLimits()).scenario == "sub/private.toml"
    with pytest.raises(UserError, match=r"--scenario: 'link\.toml' is neither a built-in"):
        ViewConfig.start("link.toml", scenario_folder, SessionLimits())
    lone = ViewConfig.start(str(tmp_path / "secret.toml"), None, SessionLimits())
    assert lone.choices.labels() == [*scenario_names(), "secret.toml"]
    os.environ["WARNSIM_VIEW"] = config.to_env()
    try:
        assert ViewConfig.from_env() == config
    finally:
        del os.environ["WARNSIM_VIEW"]


# --- the model of a session ----------------------------------------------------------------------------
def test_the_view_model_takes_every_control_value():
    session = Session()
    values = {k: v for k, v in defaults("default", session.limits).items()
              if k not in {"scenario", "step", "speed"}}
    first = ViewModel(session=session, **values)
    assert first.changed == {} and session.model is first
    second = ViewModel(session=session, **{**values, "rivalry": 0.95, "doctrine": "never"})
    assert second.changed == {"rivalry": 0.95, "doctrine": "never"}
    assert session.model is second and session.generation == 2
    with pytest.raises(ValueError, match="rivalry"):
        ViewModel(rivalry=2.0)
    session.close()
    assert session.model is None


def test_a_run_over_the_sessions_limits_is_refused_before_it_is_built():
    limits = SessionLimits(days=400, memory=20)
    with pytest.raises(UserError, match=r"^days: got 401; allowed: an integer in \[1, 400\]"):
        ViewModel(days=401, limits=limits)
    heavy = {"plot_rate": 0.2, "false_lead_rate": 20.0, "detection_rate": 1.0}
    need = memory_estimate(ModelParams().replace(**heavy), load_scenario("default"), 400) / 1e6
    assert need > 20
    with pytest.raises(UserError, match=rf"about {need:,.0f} MB, over the view's limit of 20 MB"):
        ViewModel(days=400, limits=limits, **heavy)


@pytest.mark.parametrize(("scenario", "days", "changes"), [
    ("default", 1500, {}),
    ("world-2024", 365, {"plot_rate": 0.1, "false_lead_rate": 5.0, "detection_rate": 1.0}),
    # fabrication opportunities at their most, and taken as often as they can pay (Model 3's
    # senders take one when it pays): free to plant, with no reputation to lose and the largest
    # gain from a rival's losses, on recipients whose prior toward rivals is at its floor (the
    # derived suspicion less the declared bias's lowest value); 1,706 warnings sent at seed 5
    # against 725 with only the first two changes
    ("default", 365, {"fabrication_rate": 0.05, "fabrication_cost": 0.0, "reputation_weight": 0.0,
                      "rivalry_gain": 10.0, "suspicion_bias": -10.0}),
    ("default", 365, {"plot_rate": 0.2, "doctrine": "warn_all", "credibility_threshold": 0.0}),
])
def test_the_memory_estimate_bounds_a_whole_run(scenario, days, changes):
    """The estimate the memory limit relies on is an upper bound of the traced peak of a whole
    run (series recorded), at points that stress each of its terms."""
    params = ModelParams().replace(**changes)
    estimate = memory_estimate(params, load_scenario(scenario), days)
    warm()  # the kernels, loaded once a process (tens of MB traced), are no part of a run
    tracemalloc.start()
    try:
        model = ViewModel(scenario=scenario, days=days, seed=5, **changes)
        model.run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    release(model)
    assert peak <= estimate, f"measured {peak / 1e6:.1f} MB > estimated {estimate / 1e6:.1f} MB"
    assert peak >= 0.2 * estimate  # and not so loose that it refuses what would fit


def test_the_day_never_passes_the_run_length():
    session = Session()
    session.build(load_scenario("default"), "default", {"days": 15})
    drawing, over = session.advance(365, session.generation)
    assert over and "data-day='15'" in drawing and "<b class='day-counter'>Day 15</b> of 15" in drawing
    session.model.step()
    assert (session.model.day, session.model.running) == (15, False)
    assert session.advance(1, session.generation - 1) is None  # a replaced model's frame
    session.close()
    assert session.advance(1, session.generation) is None


def test_a_session_in_a_process_of_its_own():
    """What ``warnsim view`` does: the model in a worker; a refused run keeps the last one; a
    worker that dies is one line, and Reset starts another; closing ends the process."""
    default = load_scenario("default")
    session = ProcessSession(SessionLimits(days=400))
    try:
        assert "data-day='0'" in session.build(default, "default", {"days": 40})
        drawing, over = session.advance(365, session.generation)
        assert over and "data-day='40'" in drawing
        with pytest.raises(UserError, match=r"^days: got 500; allowed: an integer in \[1, 400\]"):
            session.build(default, "default", {"days": 500})
        assert "data-day='40'" in session.advance(1, session.generation)[0]
        os.kill(session.pid, signal.SIGKILL)
        with pytest.raises(UserError, match=r"^the session's model process stopped \(signal 9\): "
                                            r"Reset starts a new one$"):
            session.advance(1, session.generation)
        assert "data-day='0'" in session.build(default, "default", {"days": 40})
        pid = session.pid
    finally:
        session.close()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists()


def test_pace_follows_the_declared_speed_and_processor_share():
    limits = SessionLimits(speed=100, cpu=0.25)
    assert Frame.at(100, limits) == Frame(days=25, seconds=0.25)
    assert Frame.at(500, limits) == Frame(days=25, seconds=0.25)  # capped at the limit
    assert Frame.at(2, limits) == Frame(days=1, seconds=0.5)
    assert Frame.at(-3, limits) == Frame(days=1, seconds=1.0)
    now = [10.0]
    pacer = Pacer(0.25, clock=lambda: now[0])
    pacer.spent(10.0, 10.2)  # 0.2 s of work: idle 0.6 s after it, 25% busy
    assert pacer.free_at == pytest.approx(10.8)
    pacer.spent(10.2, 10.3)  # and 0.1 s of drawing right after: 0.3 s more
    assert pacer.free_at == pytest.approx(11.1)
    now[0] = 11.1
    assert pacer.wait() is True
    cancel = threading.Event()
    cancel.set()
    assert pacer.wait(cancel) is False


# --- the page, rendered in-process --------------------------------------------------------------------------
@pytest.fixture
def page():
    import solara

    from sim.viz.app import Page

    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    yield rc
    rc.close()


def _html(rc, cls: str) -> list:
    import solara

    return [e.widget for e in rc.find(solara.widgets.HTML)
            if cls in e.widget.attributes.get("class", "").split()]


def _error_line(rc) -> str:
    found = _html(rc, "view-error")
    return html.unescape(found[0].unsafe_innerHTML) if found else ""


def test_a_value_the_page_should_never_send_becomes_one_line(page):
    import ipyvuetify as v

    rivalry = page.find(v.Slider, label="Rivalry (0-1)").widget
    for raw, words in (("abc", "rivalry: 'abc' is not a number in [0, 1]"),
                       ("nan", "rivalry: got nan; allowed: a number in [0, 1]"),
                       ({"x": 1}, "rivalry: got {'x': 1}; allowed: a number in [0, 1]")):
        rivalry.v_model = raw
        assert _error_line(page) == words
        rivalry = page.find(v.Slider, label="Rivalry (0-1)").widget  # rebuilt: the good value
        assert rivalry.v_model == 0.7
    scenario = page.find(v.Select, label="Scenario").widget
    scenario.v_model = "/etc/passwd"
    assert _error_line(page).startswith("scenario: '/etc/passwd' is not offered; allowed: default")
    rivalry.v_model = 0.9  # a good value clears the line and waits for Reset
    assert _error_line(page) == ""
    assert [w.unsafe_innerHTML for w in _html(page, "pending")] == ["1 change applies at Reset"]


def test_a_refused_run_is_one_line_and_keeps_the_model(page):
    import ipyvuetify as v

    days = page.find(v.TextField, class_="control-number")
    days_field = next(e.widget for e in days if e.widget.v_model == "3650")
    days_field.v_model = "7300"
    days_field.fire_event("keyup.enter", None)
    page.find(v.Slider, label="Plot rate (per country-day)").widget.v_model = 0.2
    page.find(v.Slider, label="False leads (per plot)").widget.v_model = 20.0
    page.find(v.Btn, children=["Reset"]).widget.click()
    line = _error_line(page)
    assert re.fullmatch(r"this run would need about [\d,]+ MB, over the view's limit of 64 MB a "
                        r"session: use fewer days or lower rates \(plot_rate, false_lead_rate, "
                        r"detection_rate, fabrication_rate\), or `warnsim run`", line), line
    assert "Traceback" not in line and "/" not in line.replace("`warnsim run`", "")


# --- the drawings ------------------------------------------------------------------------------------------
def _lab(colour: str) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour (CIE 1976 formulas)."""
    rgb = np.array([int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_bloc_colours_are_not_trust_colours():
    trust = [_lab(trust_colour(k / 100)) for k in range(101)]
    for bloc in BLOC_COLOURS:
        distance = min(float(np.linalg.norm(_lab(bloc) - t)) for t in trust)
        assert distance >= 30, (bloc, distance)


@pytest.mark.parametrize("scenario", ["default", "world-2024"])
def test_every_name_is_readable_and_fits_its_circle(scenario):
    model = ViewModel(scenario=scenario, days=30)
    try:
        root = ET.fromstring(network_svg(model))
    finally:
        release(model)
    circles = root.findall(f"{SVG}circle[@class='agency']")
    names = [t for t in root.findall(f"{SVG}text") if "agency-name" in t.get("class", "")]
    assert len(circles) == len(names) == len(model.names)
    for circle, text in zip(circles, names, strict=True):
        assert text.text == circle.get("data-name")
        assert "outside" not in text.get("class")  # every built-in name fits inside
        size = float(text.get("font-size"))
        assert size >= MIN_NAME_SIZE
        assert contrast(circle.get("fill"), text.get("fill")) >= 4.5
        half = 0.73 * size / 2
        assert text_width(text.text, size) <= 2 * math.sqrt(NODE_RADIUS ** 2 - half ** 2)


def _texts_outside(svg_text: str) -> list[str]:
    """Texts whose estimated extent leaves the drawing."""
    root = ET.fromstring(svg_text)
    width = float(root.get("width"))
    out = []
    for text in root.iter(f"{SVG}text"):
        w = text_width(text.text or "", float(text.get("font-size")))
        x = float(text.get("x"))
        left = {"start": x, "middle": x - w / 2, "end": x - w}[text.get("text-anchor")]
        if left < -0.5 or left + w > width + 0.5:
            out.append(text.text)
    return out


def test_no_text_leaves_the_drawings():
    """Attacks beside agencies at the drawing's edge (rivalry 1, seed 0, plots at 0.02 a
    country-day: at the default 0.0035 only two of the sixty drawings show an attack) and
    every label of the plots, every fifth day of 300."""
    model = ViewModel(seed=0, days=300, rivalry=1.0, plot_rate=0.02)
    attacks = 0
    try:
        for day in range(1, 301):
            model.step()
            if day % 5 == 0:
                net = network_svg(model)
                attacks += "attack:" in net
                assert _texts_outside(net) == [], day
                assert _texts_outside(plots_svg(model)) == [], day
    finally:
        release(model)
    assert attacks >= 3


def test_a_name_too_long_for_its_circle_goes_beside_it():
    assert name_size("MI6") == 11.0
    assert name_size("Mossad") is not None and name_size("Mossad") < 11.0
    assert name_size("Federal Security Service") is None


def test_drawings_show_the_models_state():
    model = ViewModel(seed=4, days=400)
    try:
        empty = plots_svg(model)
        for _ in range(150):
            model.step()
        net = network_svg(model)
        assert net.count("class='agency'") == len(model.names)
        assert re.search(r"After day 150\b", net)
        assert plots_svg(model) != empty and "polyline" in plots_svg(model)
        rates = heed_by_band(model)
        assert all(len(r) == 150 for r in rates.values())
        log = [c for c in model.log.cables if c.delivered_day >= 0]
        heeded = sum(bool(c.heeded) for c in log)
        assert np.nansum([r[-1] * sum(1 for c in log if c.delivered_day < 150 and
                                      _band(c) == b) for b, r in rates.items()]) == pytest.approx(heeded)
        rows = recent_log(model)
        assert all(tuple(r) == LOG_COLUMNS for r in rows)
        assert all(r["day"] > 150 - 8 for r in rows)
        responses = {r["response"].split(",")[0] for r in rows}
        allowed = {x.value for x in Response} | {"in flight", "investigated"}
        assert all(x in allowed or x.startswith("waived:") for x in responses)
    finally:
        release(model)


def test_long_runs_draw_a_bounded_number_of_points():
    model = ViewModel(seed=4, days=3000)
    try:
        model.run()
        root = ET.fromstring(plots_svg(model))
    finally:
        release(model)
    for line in root.iter(f"{SVG}polyline"):
        points = line.get("points").split()
        assert 2 <= len(points) <= 2 * 260 + 1
        assert points[-1].split(",")[0] == max(points, key=lambda p: float(p.split(",")[0])).split(",")[0]


def _band(cable) -> str:
    from sim.schema import band_of

    return band_of(cable.rivalry)


def test_the_view_shows_the_run_that_warnsim_run_reports():
    from sim.run import RunSpec, simulate

    model = ViewModel(seed=11, days=200, rivalry=0.9)
    try:
        model.run()
        expected = simulate(RunSpec(params=model.params, days=200, seed=11))
        assert model.outcomes() == pytest.approx(expected.outcomes, nan_ok=True)
        pd.testing.assert_frame_equal(pd.DataFrame(model.warning_log()),
                                      pd.DataFrame(expected.warnings))
    finally:
        release(model)


def test_config_round_trips_through_json():
    config = ViewConfig(scenario="world-2024", limits=SessionLimits(days=900))
    assert json.loads(config.to_env())["limits"]["days"] == 900
