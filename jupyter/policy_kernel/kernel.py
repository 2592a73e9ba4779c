"""The Jupyter kernel: each cell is one `execute` request to `policy repl --jsonl`."""

from __future__ import annotations

import queue
import re
import signal
import threading
import time
from typing import Any, Optional

from ipykernel.kernelbase import Kernel

from . import __version__
from .process import EOF, PolicyExited, PolicyNotFound, PolicyProcess, find_policy

#: How long an interrupted entry may take to stop before the child is killed.
INTERRUPT_GRACE = 30.0
#: How long completion, inspection and is_complete wait for their one reply.
QUICK_TIMEOUT = 10.0
#: How long the child may take to load and say `ready`.
READY_TIMEOUT = 120.0



# The object `policy run --format json` writes for a result (docs/repl-jsonl.md).
RESULT_MIME = "application/vnd.policy.result+json"

class InterruptFlag:
    """While a cell runs: SIGINT (sent by Jupyter to the kernel's process group) sets `hits`.

    A handler that only counts cannot raise KeyboardInterrupt in the middle of taking a reply
    off the queue or of writing a request, so the reply stream cannot get out of step. Off the
    main thread (where handlers cannot be set) the kernel catches KeyboardInterrupt instead.
    """

    def __init__(self) -> None:
        self.hits = 0
        self._saved: Any = None
        self._installed = False

    def _handler(self, signum, frame) -> None:  # noqa: ARG002
        self.hits += 1

    def __enter__(self) -> "InterruptFlag":
        if threading.current_thread() is threading.main_thread():
            try:
                self._saved = signal.signal(signal.SIGINT, self._handler)
                self._installed = True
            except (ValueError, OSError):
                pass
        return self

    def __exit__(self, *exc) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._saved)
            self._installed = False


class PolicyKernel(Kernel):
    implementation = "policy"
    implementation_version = __version__
    language = "policy"
    help_links: list = []

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._process: Optional[PolicyProcess] = None
        #: Why there is no process (the binary is missing), said on every execute.
        self._problem: Optional[str] = None
        #: A process ran before and ended: the next one starts with an empty session.
        self._lost_session = False
        self._start()

    # -- the child ---------------------------------------------------------------------------

    def _log(self, message: str) -> None:
        self.log.warning("%s", message)

    def _start(self) -> None:
        try:
            binary = find_policy()
        except PolicyNotFound as missing:
            self._problem = str(missing)
            self._process = None
            return
        process = PolicyProcess(binary, log=self._log)
        try:
            process.start()
        except OSError as error:
            self._problem = f"Could not start `{binary} repl --jsonl`: {error}."
            self._process = None
            return
        self._problem = None
        self._process = process

    def _running(self, wait: float) -> Optional[PolicyProcess]:
        """The child if it is up and ready (waiting up to `wait` s for `ready`), else None.

        Never starts one: only an execute does, so only an execute can tell the user that a
        new session is empty.
        """
        process = self._process
        if process is None or not process.alive:
            return None
        if process.ready is None:
            try:
                process.wait_ready(timeout=wait)
            except PolicyExited:
                return None
        return process

    @property
    def banner(self) -> str:
        process = self._running(wait=10)
        if process is not None and process.ready:
            return str(process.ready.get("banner", ""))
        return self._problem or "policy — policy what-ifs (the `policy` process is not running)"

    @property
    def language_info(self) -> dict:
        info = {
            "name": "policy",
            "mimetype": "text/x-policy",
            "file_extension": ".policy",
        }
        process = self._running(wait=10)
        banner = str(process.ready.get("banner", "")) if process is not None and process.ready else ""
        match = re.match(r"policy (\S+)", banner)
        if match:
            info["version"] = match.group(1)
        return info

    @property
    def kernel_info(self) -> dict:
        info = dict(super().kernel_info)
        # The kernel has no debugger, whatever ipykernel's own features are.
        if "supported_features" in info:
            info["supported_features"] = [f for f in info["supported_features"] if f != "debugger"]
        if "debugger" in info:
            info["debugger"] = False
        return info

    # -- publishing --------------------------------------------------------------------------

    def _stream(self, name: str, text: str) -> None:
        if text:
            self.send_response(self.iopub_socket, "stream", {"name": name, "text": text})

    def _error(self, ename: str, evalue: str, traceback: list, publish: bool) -> dict:
        """The error reply; with `publish`, also an `error` output (when nothing said it yet)."""
        if publish:
            self.send_response(
                self.iopub_socket,
                "error",
                {"ename": ename, "evalue": evalue, "traceback": traceback},
            )
        return {
            "status": "error",
            "execution_count": self.execution_count,
            "ename": ename,
            "evalue": evalue,
            "traceback": traceback,
        }

    def _ok(self) -> dict:
        return {
            "status": "ok",
            "execution_count": self.execution_count,
            "payload": [],
            "user_expressions": {},
        }

    def _output(self, data: dict) -> None:
        bundle = dict(data)
        # The prompt's text ends with a newline; a notebook's text/plain, by custom, does not.
        plain = bundle.get("text/plain")
        if isinstance(plain, str) and plain.endswith("\n"):
            bundle["text/plain"] = plain[:-1]
        # The structured result travels as a vendor type: JupyterLab ranks its JSON viewer
        # above HTML, SVG and text, and would show every table as a JSON tree.
        result = bundle.pop("application/json", None)
        if result is not None:
            bundle[RESULT_MIME] = result
        if isinstance(result, dict) and result.get("kind") == "value":
            self.send_response(
                self.iopub_socket,
                "execute_result",
                {"execution_count": self.execution_count, "data": bundle, "metadata": {}},
            )
        else:
            self.send_response(self.iopub_socket, "display_data", {"data": bundle, "metadata": {}})

    # -- execute -----------------------------------------------------------------------------

    async def do_execute(
        self,
        code: str,
        silent: bool,
        store_history: bool = True,
        user_expressions: Optional[dict] = None,
        allow_stdin: bool = False,
        *,
        cell_meta: Optional[dict] = None,
        cell_id: Optional[str] = None,
    ) -> dict:
        with InterruptFlag() as interrupt:
            try:
                return self._execute(code, silent, interrupt)
            except KeyboardInterrupt:
                # Only before the request went out: after that, the loop takes every Ctrl-C.
                text = "KeyboardInterrupt: interrupted before the cell was sent to policy"
                return self._error("KeyboardInterrupt", "interrupted", [text], publish=not silent)

    def _lost(self, process: PolicyProcess, during: str, silent: bool) -> dict:
        """The child ended: say how, and that the next execute starts an empty session."""
        how, _, stderr = process.exit_description().partition("\n")
        process.kill()
        self._lost_session = True
        evalue = f"policy {how} while {during}"
        message = (
            f"{evalue}. A new `policy` starts on the next execute, with an empty session: "
            "definitions, :scenario and :set from earlier cells are gone — run those cells again."
            + (f"\n{stderr}" if stderr else "")
        )
        return self._error("PolicyExited", evalue, [message], publish=not silent)

    def _ensure_process(self, silent: bool) -> "PolicyProcess | dict":
        """The ready child, starting one if needed; or the error reply to give instead."""
        process = self._process
        if process is not None and not process.alive and process.ready is not None:
            # It ended between cells (`:quit`, a crash): this one starts afresh.
            process.kill()
            self._lost_session = True
            process = None
        if process is None or not process.alive:
            self._start()
            process = self._process
            if process is None:
                problem = self._problem or "policy is not available."
                return self._error("PolicyNotFound", problem, [problem], publish=not silent)
            if self._lost_session and not silent:
                self._stream(
                    "stderr",
                    "policy: started a new `policy repl --jsonl` — the session is empty: "
                    "definitions, :scenario and :set from earlier cells are gone (run those "
                    "cells again).\n",
                )
            self._lost_session = False
        try:
            process.wait_ready(timeout=READY_TIMEOUT)
        except PolicyExited as exited:
            process.kill()
            self._process = None
            return self._error("PolicyExited", str(exited).splitlines()[0], [str(exited)], publish=not silent)
        if process.startup and not silent:
            # The start-up diagnostics (a file that did not load).
            for reply in process.startup:
                if reply.get("type") == "diagnostic":
                    self._stream("stderr", _text(reply.get("text") or reply.get("message", "")))
        process.startup = []
        return process

    def _execute(self, code: str, silent: bool, interrupt: InterruptFlag) -> dict:
        process = self._ensure_process(silent)
        if isinstance(process, dict):
            return process
        rid = process.next_id()
        try:
            if process.send({"id": rid, "op": "execute", "code": code}):
                interrupt.hits += 1  # a Ctrl-C while the line went out: stop it like any other
        except PolicyExited:
            return self._lost(process, "sending the cell", silent)

        diagnostics: list = []
        stderr_text: list = []
        shown_error = False
        interrupts_sent = 0
        interrupted_at: Optional[float] = None
        while True:
            try:
                if interrupt.hits > interrupts_sent:
                    interrupts_sent = interrupt.hits
                    process.interrupt()
                    if interrupted_at is None:
                        interrupted_at = time.monotonic()
                if interrupted_at is not None and time.monotonic() - interrupted_at > INTERRUPT_GRACE:
                    process.kill()
                    self._lost_session = True
                    message = (
                        f"policy did not stop within {INTERRUPT_GRACE:.0f} s of the interrupt, so it "
                        "was killed. A new `policy` starts on the next execute, with an empty "
                        "session: definitions, :scenario and :set from earlier cells are gone."
                    )
                    return self._error("KeyboardInterrupt", message, [message], publish=not silent)
                try:
                    reply = process.get(timeout=0.1)
                except queue.Empty:
                    continue
            except KeyboardInterrupt:
                interrupt.hits += 1
                continue

            if reply is EOF:
                return self._lost(process, "running this cell", silent)
            if reply.get("id") != rid:
                self._log(f"dropped a reply that is not this cell's: {reply!r:.300}")
                continue
            kind = reply.get("type")
            if kind == "stream":
                name = "stderr" if reply.get("name") == "stderr" else "stdout"
                text = str(reply.get("text", ""))  # as sent: a chunk need not end a line
                if name == "stderr":
                    stderr_text.append(text)
                    shown_error = True
                if not silent:
                    self._stream(name, text)
            elif kind == "output":
                if not silent:
                    self._output(reply.get("data") or {})
            elif kind == "diagnostic":
                if reply.get("severity", "error") == "error":
                    diagnostics.append(reply)
                shown_error = True
                if not silent:
                    self._stream("stderr", _text(reply.get("text") or reply.get("message", "")))
            elif kind == "protocol_error":
                # The request itself was refused: there will be no `done`.
                message = f"policy refused the request: {reply.get('message', '')}"
                return self._error("PolicyProtocolError", message, [message], publish=not silent)
            elif kind == "done":
                return self._done(reply, diagnostics, stderr_text, shown_error, silent)
            else:
                self._log(f"unexpected reply to execute: {reply!r:.300}")

    def _done(self, done: dict, diagnostics: list, stderr_text: list, shown: bool, silent: bool) -> dict:
        status = done.get("status")
        if status == "ok":
            return self._ok()
        if status == "interrupted":
            # `policy` says so on stderr itself; the error output is for when it did not.
            message = "interrupted — the session is as it was before the entry that was stopped"
            return self._error(
                "KeyboardInterrupt", message, [f"KeyboardInterrupt: {message}"], publish=not shown and not silent
            )
        # An error: the first diagnostic names it (it is already on stderr, with its place).
        if diagnostics:
            first = diagnostics[0]
            evalue = str(first.get("message", "error"))
            traceback = [_text(first.get("text") or evalue).rstrip("\n")]
        elif stderr_text:
            text = "".join(stderr_text).strip()
            evalue = text.splitlines()[0] if text else "error"
            traceback = [text]
        else:
            evalue = f"the cell failed (exit code {done.get('exit')})"
            traceback = [evalue]
        return self._error("PolicyError", evalue, traceback, publish=not shown and not silent)

    # -- the other requests ------------------------------------------------------------------

    def _ask(self, op: str, reply_type: str, **members: Any) -> Optional[dict]:
        """A quick request's reply, or None (no `policy`, no answer in time, or interrupted)."""
        process = self._running(wait=QUICK_TIMEOUT)
        if process is None:
            return None
        try:
            return process.answer(op, reply_type, QUICK_TIMEOUT, **members)
        except KeyboardInterrupt:
            return None  # its reply, if it comes, is dropped by id

    async def do_complete(self, code: str, cursor_pos: Optional[int]) -> dict:
        cursor = len(code) if cursor_pos is None else cursor_pos
        reply = self._ask("complete", "completions", code=code, cursor=cursor)
        if reply is None:
            return {"status": "ok", "matches": [], "cursor_start": cursor, "cursor_end": cursor, "metadata": {}}
        return {
            "status": "ok",
            "matches": list(reply.get("matches", [])),
            "cursor_start": int(reply.get("cursor_start", cursor)),
            "cursor_end": int(reply.get("cursor_end", cursor)),
            "metadata": {},
        }

    async def do_inspect(self, code: str, cursor_pos: int, detail_level: int = 0, omit_sections: Any = ()) -> dict:
        reply = self._ask("inspect", "inspection", code=code, cursor=cursor_pos)
        if reply is None or not reply.get("found"):
            return {"status": "ok", "found": False, "data": {}, "metadata": {}}
        return {"status": "ok", "found": True, "data": dict(reply.get("data") or {}), "metadata": {}}

    async def do_is_complete(self, code: str) -> dict:
        reply = self._ask("is_complete", "is_complete", code=code)
        status = reply.get("status") if reply else None
        if status == "incomplete":
            return {"status": "incomplete", "indent": ""}
        if status in ("complete", "invalid"):
            return {"status": status}
        return {"status": "unknown"}

    async def do_shutdown(self, restart: bool) -> dict:
        if self._process is not None:
            # A cell may still be running (shutdown comes on the control channel): stop it
            # first, or `shutdown` waits behind it.
            if self._process.alive:
                self._process.interrupt()
            self._process.shutdown(timeout=5.0)
            self._process = None
        return {"status": "ok", "restart": restart}


def _text(value: Any) -> str:
    """Stream text that ends with a newline, so outputs do not run together."""
    text = str(value)
    return text if not text or text.endswith("\n") else text + "\n"
