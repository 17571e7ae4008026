"""``warnsim view`` without a browser: where it listens, the --host warning, bad input, the
controls derived from the declarations, and the drawings of a model's state."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.enums import Response
from sim.params import PARAMETERS
from sim.run import release

pytest.importorskip("solara", reason="the viz extra is not installed (make test installs it)")

from sim.viz.controls import HIDDEN_GROUPS, model_params
from sim.viz.figures import LOG_COLUMNS, heed_by_band, network_svg, plots_svg, recent_log
from sim.viz.viewmodel import Session, ViewModel


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


def _stop(proc) -> tuple[str, str]:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        return proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.communicate()


def _wait_listening(port: int, proc, timeout: float = 60) -> set[str]:
    deadline = time.monotonic() + timeout
    while not (found := _listening(port)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the view did not start listening"
        time.sleep(0.2)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_view_listens_on_loopback_only_by_default():
    port = _free_port()
    proc = _serve("--port", str(port))
    try:
        assert _wait_listening(port, proc) == {"127.0.0.1"}
    finally:
        _, err = _stop(proc)
    assert "warning" not in err


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
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


def test_controls_come_from_the_declarations():
    params = model_params()
    shown = [p for p in PARAMETERS.values() if p.group not in HIDDEN_GROUPS]
    assert {p.name for p in shown} <= set(params)
    assert not {p.name for p in PARAMETERS.values() if p.group in HIDDEN_GROUPS} & set(params)
    for spec in shown:
        control = params[spec.name]
        assert control["label"].startswith(spec.label)
        if spec.choices:
            assert control["type"] == "Select" and control["values"] == list(spec.choices)
            assert control["value"] == spec.default.value
        elif spec.kind is bool:
            assert control["type"] == "Checkbox" and control["value"] is spec.default
        else:
            assert (control["min"], control["max"]) == (spec.low, spec.high)
            steps = (control["value"] - control["min"]) / control["step"]
            assert abs(steps - round(steps)) < 1e-6, spec.name  # the default is on the grid
            if spec.kind is float:
                assert (control["max"] - control["min"]) / control["step"] >= 50, spec.name


def test_the_view_model_takes_every_control_value():
    session = Session()
    values = {k: (v["value"] if isinstance(v, dict) else v)
              for k, v in model_params(session=session).items()}
    first = ViewModel(**values)
    assert first.changed == {} and session.model is first
    second = ViewModel(**{**values, "rivalry": 0.95, "doctrine": "never"})
    assert second.changed == {"rivalry": 0.95, "doctrine": "never"}
    assert session.model is second
    with pytest.raises(ValueError, match="rivalry"):
        ViewModel(rivalry=2.0)
    release(second)


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
