"""Shared set-up: the `policy` the kernel runs, and a kernel per test for the protocol tests."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# The kernel finds `policy` through POLICY_BIN (bin/test sets it); standing alone, the tests
# use the debug build of this checkout.
if not os.environ.get("POLICY_BIN"):
    os.environ["POLICY_BIN"] = str(REPO / ".build" / "debug" / "policy")


def _kernel_spec_of_this_checkout() -> None:
    """Puts a "policy" kernel spec first on JUPYTER_PATH that runs this checkout's kernel with
    this Python, so a spec installed elsewhere (`install --user` wins over `--sys-prefix`)
    cannot stand in for the code under test."""
    sys.path.insert(0, str(REPO / "jupyter"))
    from policy_kernel.__main__ import KERNEL_NAME, kernel_spec

    data = tempfile.mkdtemp(prefix="policy-kernel-tests-")
    atexit.register(shutil.rmtree, data, ignore_errors=True)
    folder = Path(data) / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True)
    spec = kernel_spec()
    spec["argv"][0] = sys.executable
    pythonpath = os.pathsep.join(filter(None, [str(REPO / "jupyter"), os.environ.get("PYTHONPATH")]))
    spec["env"] = {"PYTHONPATH": pythonpath}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=2))
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [data, os.environ.get("JUPYTER_PATH")]))


_kernel_spec_of_this_checkout()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fails at once, saying why, when there is no `policy repl --jsonl` to test."""
    binary = os.environ["POLICY_BIN"]
    if not os.access(binary, os.X_OK):
        pytest.exit(
            f"policy: {binary} is not there: build it with `swift build` (or set POLICY_BIN)",
            returncode=1,
        )
    try:
        out = subprocess.run(
            [binary, "repl", "--jsonl"],
            input='{"id":1,"op":"shutdown"}\n',
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.exit(f"policy: `{binary} repl --jsonl` did not answer a shutdown in 60 s", returncode=1)
    first = out.stdout.splitlines()[0] if out.stdout else ""
    try:
        ready = json.loads(first).get("type") == "ready"
    except ValueError:
        ready = False
    if not ready:
        pytest.exit(
            f"policy: `{binary} repl --jsonl` did not say ready (exit {out.returncode}): "
            f"{(out.stdout + out.stderr)[:500]}",
            returncode=1,
        )
