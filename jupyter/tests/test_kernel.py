"""The kernel against the Jupyter protocol: jupyter_kernel_test's checks, then what a
notebook user relies on — state across cells, scenarios, errors with their place,
interrupts, and a `policy` that goes away."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import jupyter_kernel_test
import pytest
from jupyter_client.manager import KernelManager

TIMEOUT = 120  # a debug build on a busy two-core machine


class PolicyKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "policy"
    language_name = "policy"
    file_extension = ".policy"

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "7 / 2", "result": "3.5"},
        {"code": "2012-12-20 + 1 day", "result": "2012-12-21"},
    ]

    # The kernel starts with an empty session: reserved words and meta-commands complete.
    completion_samples = [
        {"text": "tab", "matches": {"table"}},
        {"text": "timel", "matches": {"timeline"}},
        {"text": ":scen", "matches": {":scenario"}},
    ]

    complete_code_samples = ["1 + 2", "let x = 1", ":help", "table count by year from bookings", ""]
    incomplete_code_samples = ["table count() by", "let x = (1 +", "record r {"]
    invalid_code_samples = ["let = 3", "1 + * 2"]

    code_inspect_sample = "table"

    code_display_data = [
        {
            # A tiny model and a plot: SVG (and a terminal chart as text/plain).
            "code": (
                "jurisdiction kd_usa: federal\n"
                "record kd_case { date: date, jurisdiction: jurisdiction, flag: bool = false }\n"
                "population kd_cases of kd_case {\n"
                "  size 1_000\n  seed 1\n  date uniform 2010-01-01 .. 2012-12-31\n"
                "  jurisdiction = kd_usa\n  flag 30%\n}\n"
                "plot count(flag) by year from kd_cases"
            ),
            "mime": "image/svg+xml",
        },
        {
            "code": (
                "jurisdiction kt_usa: federal\n"
                "record kt_case { date: date, jurisdiction: jurisdiction, flag: bool = false }\n"
                "population kt_cases of kt_case {\n"
                "  size 1_000\n  seed 2\n  date uniform 2010-01-01 .. 2012-12-31\n"
                "  jurisdiction = kt_usa\n  flag 30%\n}\n"
                "table count, count(flag) by year from kt_cases"
            ),
            "mime": "text/html",
        },
    ]


# -- the kernel as a notebook uses it ----------------------------------------------------------


@pytest.fixture
def kernel():
    """A fresh kernel (its own `policy`) and a client, stopped after the test."""
    km = KernelManager(kernel_name="policy")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=TIMEOUT)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def run(kc, code: str, timeout: float = TIMEOUT):
    """Executes a cell; returns its reply's content and its outputs (iopub messages)."""
    outputs = []

    def keep(msg):
        if msg["msg_type"] in ("stream", "display_data", "execute_result", "error"):
            outputs.append(msg)

    # stop_on_error=False: a test sends its next cell at once, and after an error ipykernel
    # aborts the requests already queued (as a notebook's "Run All" wants).
    reply = kc.execute_interactive(code, output_hook=keep, timeout=timeout, stop_on_error=False)
    return reply["content"], outputs


def results(outputs) -> list:
    """The text/plain of each execute_result, without the trailing newline."""
    return [m["content"]["data"]["text/plain"].rstrip("\n") for m in outputs if m["msg_type"] == "execute_result"]


def stream(outputs, name: str) -> str:
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream" and m["content"]["name"] == name)


def test_state_carries_across_cells(kernel):
    km, kc = kernel
    reply, _ = run(kc, "let kept = 41")
    assert reply["status"] == "ok"
    reply, outputs = run(kc, "kept + 1")
    assert reply["status"] == "ok", reply
    assert results(outputs) == ["42"]
    result = next(m for m in outputs if m["msg_type"] == "execute_result")
    assert result["content"]["execution_count"] == reply["execution_count"]
    assert result["content"]["data"]["application/vnd.policy.result+json"]["kind"] == "value"


def test_scenario_and_set_change_later_cells(kernel):
    km, kc = kernel
    model = "\n".join([
        "record booking { date: date, jurisdiction: jurisdiction }",
        "jurisdiction usa: federal",
        "param hold_hours: int = 48",
        "decision hold_limit(b: booking): int = hold_hours",
        "scenario short_holds { param hold_hours = 24 }",
        "let b = booking { jurisdiction: usa, date: 2013-06-03 }",
    ])
    assert run(kc, model)[0]["status"] == "ok"
    assert results(run(kc, "hold_limit(b)")[1]) == ["48"]
    assert run(kc, ":scenario short_holds")[0]["status"] == "ok"
    assert results(run(kc, "hold_limit(b)")[1]) == ["24"]
    assert run(kc, ":scenario baseline")[0]["status"] == "ok"
    assert results(run(kc, "hold_limit(b)")[1]) == ["48"]
    assert run(kc, ":set hold_hours = 12")[0]["status"] == "ok"
    assert results(run(kc, "hold_limit(b)")[1]) == ["12"]


def test_meta_commands_stream_their_text(kernel):
    km, kc = kernel
    reply, outputs = run(kc, ":help")
    assert reply["status"] == "ok"
    assert ":scenario" in stream(outputs, "stdout")
    reply, outputs = run(kc, ":scenario nope")
    assert reply["status"] == "error"
    assert reply["ename"] == "PolicyError"
    assert "nope" in stream(outputs, "stderr")
    assert "nope" in reply["evalue"]


def test_an_error_names_its_place(kernel):
    km, kc = kernel
    assert run(kc, "jurisdiction cook: county")[0]["status"] == "ok"
    reply, outputs = run(kc, "let a = 1\nlet c = cok + 1")
    assert reply["status"] == "error"
    assert reply["ename"] == "PolicyError"
    assert "cok" in reply["evalue"]
    traceback = "\n".join(reply["traceback"])
    # file:line:column of the error: the second line of the cell, column 9.
    assert re.search(r":2:9\b", traceback), traceback
    assert "did you mean 'cook'?" in traceback
    # The user sees it too, on stderr.
    assert re.search(r":2:9\b", stream(outputs, "stderr"))
    # Nothing of the failed cell was taken in.
    reply, outputs = run(kc, "a")
    assert reply["status"] == "error"


def test_completion_and_inspection_see_the_session(kernel):
    km, kc = kernel
    assert run(kc, 'let kept_total = 1\nlet kept_name = "é"')[0]["status"] == "ok"
    code = 'kept_name == "é" and kept_t'
    kc.complete(code, len(code))
    reply = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    assert reply["matches"] == ["kept_total"]
    # Cursors count code points, as Jupyter's do ("é" is two bytes in UTF-8).
    assert (reply["cursor_start"], reply["cursor_end"]) == (len(code) - 6, len(code))
    kc.inspect("kept_total + 1", 3)
    reply = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    assert reply["status"] == "ok" and reply["found"], reply
    assert "kept_total" in reply["data"]["text/plain"]


def long_cell() -> str:
    """An entry whose timeline runs for centuries of dates (as ReplInterruptTests uses):
    five thousand counties and two reactions that keep scheduling each other a day apart."""
    lines = ["jurisdiction attributes { t: int = 0 }", "jurisdiction usa: federal"]
    lines += [f"jurisdiction c{i}: county in usa" for i in range(5000)]
    lines += [
        "when j in jurisdictions where j.kind == federal and j.t == 0 as ping { after 1 day { set j.t = 1 } }",
        "when j in jurisdictions where j.kind == federal and j.t == 1 as pong { after 1 day { set j.t = 0 } }",
        "event kick on 2012-01-01 by usa",
    ]
    return "\n".join(lines)


def start_cell(kc, code: str) -> str:
    """Sends a cell without waiting for it, and returns once the kernel has begun running it
    (a signal that came earlier would find the kernel idle), plus a second to get it going."""
    msg_id = kc.execute(code, stop_on_error=False)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["msg_type"] == "execute_input" and msg["parent_header"].get("msg_id") == msg_id:
            break
    time.sleep(1.0)
    return msg_id


def test_interrupt_stops_a_long_cell_and_keeps_the_session(kernel):
    km, kc = kernel
    assert run(kc, "let kept = 41")[0]["status"] == "ok"
    msg_id = start_cell(kc, long_cell())
    started = time.monotonic()
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=60)
    elapsed = time.monotonic() - started
    assert reply["parent_header"]["msg_id"] == msg_id
    content = reply["content"]
    assert content["status"] == "error", content
    assert content["ename"] == "KeyboardInterrupt"
    assert elapsed < 10, f"the interrupted cell took {elapsed:.1f} s to answer"
    # The session is as before the cell: `kept` is there, the cell's counties are not.
    reply, outputs = run(kc, "kept + 1")
    assert reply["status"] == "ok", reply
    assert results(outputs) == ["42"]
    assert run(kc, "c17")[0]["status"] == "error"


def test_interrupt_when_idle_changes_nothing(kernel):
    km, kc = kernel
    assert run(kc, "let kept = 41")[0]["status"] == "ok"
    km.interrupt_kernel()
    time.sleep(0.5)
    reply, outputs = run(kc, "kept + 1")
    assert reply["status"] == "ok", reply
    assert results(outputs) == ["42"]


def child_of(pid: int) -> int:
    """The one child process of `pid` (the kernel's `policy`)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    assert len(children) == 1, children
    return children[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the child")
def test_a_policy_that_dies_is_reported_and_restarted(kernel):
    km, kc = kernel
    assert run(kc, "let kept = 41")[0]["status"] == "ok"
    policy = child_of(km.provisioner.pid)
    start_cell(kc, long_cell())
    os.kill(policy, signal.SIGKILL)
    reply = kc.get_shell_msg(timeout=60)["content"]
    assert reply["status"] == "error"
    assert reply["ename"] == "PolicyExited"
    assert "SIGKILL" in reply["evalue"]
    assert "empty session" in "\n".join(reply["traceback"])
    # The next cell runs in a new `policy`, which says the session is empty.
    reply, outputs = run(kc, "1 + 1")
    assert reply["status"] == "ok", reply
    assert results(outputs) == ["2"]
    assert "session is empty" in stream(outputs, "stderr")
    assert run(kc, "kept")[0]["status"] == "error"


def test_quit_ends_the_session_and_the_next_cell_starts_afresh(kernel):
    km, kc = kernel
    assert run(kc, "let kept = 41")[0]["status"] == "ok"
    assert run(kc, ":quit")[0]["status"] == "ok"
    reply, outputs = run(kc, "2 + 2")
    assert reply["status"] == "ok", reply
    assert results(outputs) == ["4"]
    assert "session is empty" in stream(outputs, "stderr")


def test_a_missing_policy_says_how_to_fix_it(tmp_path):
    env = dict(os.environ, POLICY_BIN=str(tmp_path / "no-such-policy"))
    km = KernelManager(kernel_name="policy")
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        reply, outputs = run(kc, "1 + 2")
        assert reply["status"] == "error"
        text = "\n".join(reply["traceback"])
        assert "swift build" in text and "POLICY_BIN" in text, text
        assert any(m["msg_type"] == "error" for m in outputs)
        # Completion still answers (with nothing).
        kc.complete("tab", 3)
        assert kc.get_shell_msg(timeout=TIMEOUT)["content"]["matches"] == []
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie left to an init that does not reap is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the child")
def test_shutdown_during_a_long_cell_stops_policy_at_once():
    km = KernelManager(kernel_name="policy")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        assert run(kc, "1")[0]["status"] == "ok"
        policy = child_of(km.provisioner.pid)
        start_cell(kc, long_cell())
        started = time.monotonic()
        km.shutdown_kernel(now=False)
        assert time.monotonic() - started < 15
        deadline = time.monotonic() + 10
        while running(policy) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not running(policy), "policy outlived its kernel"
    finally:
        kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel(now=True)


def test_install_writes_the_kernel_spec(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "policy_kernel", "install", "--prefix", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("policy: installed the kernel spec 'policy'")
    spec = json.loads((tmp_path / "share" / "jupyter" / "kernels" / "policy" / "kernel.json").read_text())
    assert spec["argv"] == [sys.executable, "-m", "policy_kernel", "-f", "{connection_file}"]
    assert spec["display_name"] == "Policy"
    assert spec["language"] == "policy"
