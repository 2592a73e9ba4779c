"""The child process: `policy repl --jsonl`, its requests and its replies (docs/repl-jsonl.md).

Replies are read by a thread into a queue, so the kernel's main thread only ever takes whole
replies off the queue: a KeyboardInterrupt in the main thread can never cut a line in half.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from typing import Any, Callable, Optional

#: What the reader thread puts on the queue when the child's stdout ends.
EOF = object()

HOW_TO_BUILD = (
    "Build it in the policy repository with `swift build` (it appears at .build/debug/policy; "
    "`swift build -c release` gives .build/release/policy), then set POLICY_BIN to its full "
    "path in the environment that starts Jupyter (for example "
    "`POLICY_BIN=$PWD/.build/debug/policy jupyter lab`) or put its folder on PATH, "
    "and restart the kernel."
)


class PolicyNotFound(Exception):
    """No `policy` executable to run; the message says how to fix it."""


class PolicyExited(Exception):
    """The child ended (or never got ready); the message says what happened."""


def find_policy(environ: Optional[dict] = None) -> str:
    """The `policy` to run: $POLICY_BIN, else `policy` on PATH."""
    environ = os.environ if environ is None else environ
    configured = environ.get("POLICY_BIN", "")
    if configured:
        path = os.path.abspath(os.path.expanduser(configured))
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        raise PolicyNotFound(
            f"POLICY_BIN is set to {configured!r}, but that is not an executable file. "
            + HOW_TO_BUILD
        )
    found = shutil.which("policy", path=environ.get("PATH"))
    if found:
        return found
    raise PolicyNotFound(
        "The `policy` executable was not found: POLICY_BIN is not set and there is no "
        "`policy` on PATH. " + HOW_TO_BUILD
    )


class DeferredSigint:
    """While active (main thread only), SIGINT sets `hit` instead of raising KeyboardInterrupt.

    Used around writes to the child, so a Ctrl-C cannot leave half a request on its stdin.
    Elsewhere the thread's handler is left alone; callers still catch KeyboardInterrupt.
    """

    def __init__(self) -> None:
        self.hit = False
        self._saved: Any = None
        self._installed = False

    def _handler(self, signum, frame) -> None:  # noqa: ARG002 (signal handler signature)
        self.hit = True

    def __enter__(self) -> "DeferredSigint":
        if threading.current_thread() is threading.main_thread():
            try:
                self._saved = signal.signal(signal.SIGINT, self._handler)
                self._installed = True
            except (ValueError, OSError):
                self._installed = False
        return self

    def __exit__(self, *exc) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._saved)
            self._installed = False


class PolicyProcess:
    """One `policy repl --jsonl` child: start, send requests, take replies, stop.

    Replies come off `get()` as dicts (or `EOF` once stdout has ended). Request ids come from
    one counter, so a reply to an abandoned request (a completion that timed out) can be told
    from the current one's and dropped.
    """

    def __init__(
        self,
        binary: str,
        args: tuple = (),
        cwd: Optional[str] = None,
        log: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.binary = binary
        self.args = tuple(args)
        self.cwd = cwd
        self.log = log or (lambda message: None)
        self.replies: "queue.Queue[Any]" = queue.Queue()
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._stderr_tail: "collections.deque[str]" = collections.deque(maxlen=40)
        self.ready: Optional[dict] = None
        #: Replies that came before `ready` (the start-up diagnostics, id null).
        self.startup: list = []
        self.proc: Optional[subprocess.Popen] = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        # The child stays in the kernel's process group, so whatever ends the group ends it
        # too; it ignores the SIGINT a notebook server sends the group (the spec says so) and
        # stops on an `interrupt` request instead.
        self.proc = subprocess.Popen(
            [self.binary, "repl", "--jsonl", *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.cwd,
            bufsize=0,
        )
        threading.Thread(target=self._read_stdout, name="policy-stdout", daemon=True).start()
        threading.Thread(target=self._read_stderr, name="policy-stderr", daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stream = self.proc.stdout
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace").strip()
                if not line:
                    continue
                try:
                    reply = json.loads(line)
                except ValueError:
                    # The spec says nothing else is written to stdout; keep it visible anyway.
                    self.log(f"policy wrote a line that is not JSON: {line[:200]!r}")
                    reply = {"id": None, "type": "_not_json", "text": line + "\n"}
                if not isinstance(reply, dict):
                    reply = {"id": None, "type": "_not_json", "text": line + "\n"}
                self.replies.put(reply)
        except (OSError, ValueError) as error:
            self.log(f"reading policy's output failed: {error}")
        finally:
            self.replies.put(EOF)

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        try:
            for raw in iter(self.proc.stderr.readline, b""):
                text = raw.decode("utf-8", errors="replace").rstrip("\n")
                self._stderr_tail.append(text)
                self.log(f"policy stderr: {text}")
        except (OSError, ValueError):
            pass

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_description(self) -> str:
        """How the child ended, then (on the next lines) the end of what it wrote to stderr."""
        code = None if self.proc is None else self.proc.poll()
        if code is None and self.proc is not None:
            try:
                code = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
        if code is None:
            how = "stopped answering"
        elif code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            how = f"was killed by {name}"
        else:
            how = f"exited with code {code}"
        tail = self.stderr_tail()
        return how + (f"\nits last words on stderr:\n{tail}" if tail else "")

    def stderr_tail(self) -> str:
        time.sleep(0.05)  # let the stderr thread take the last lines
        return "\n".join(self._stderr_tail)

    def wait_ready(self, timeout: float = 120.0) -> dict:
        """Takes replies up to `ready` (keeping any start-up diagnostics); raises PolicyExited."""
        if self.ready is not None:
            return self.ready
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise PolicyExited(
                    f"`{self.binary} repl --jsonl` did not say it was ready within {timeout:.0f} s; "
                    "it was stopped."
                )
            try:
                reply = self.replies.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if reply is EOF:
                raise PolicyExited(
                    f"`{self.binary} repl --jsonl` {self.exit_description()}\n"
                    "Does this `policy` know `repl --jsonl`? " + HOW_TO_BUILD
                )
            if reply.get("type") == "ready":
                self.ready = reply
                return reply
            self.startup.append(reply)

    # -- requests ---------------------------------------------------------------------------

    def next_id(self) -> int:
        return next(self._ids)

    def send(self, request: dict) -> bool:
        """Writes one whole request line; raises PolicyExited if the child is gone.

        Returns True if a Ctrl-C came while writing (it is held until the line is out).
        """
        if self.proc is None or self.proc.stdin is None:
            raise PolicyExited("policy is not running")
        data = (json.dumps(request, ensure_ascii=False) + "\n").encode("utf-8")
        with DeferredSigint() as deferred, self._write_lock:
            try:
                view = memoryview(data)
                while view:
                    written = self.proc.stdin.write(view)
                    if written is None:  # non-blocking pipe, never expected here
                        continue
                    view = view[written:]
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError, OSError) as error:
                raise PolicyExited(f"policy is not running ({error})") from error
        return deferred.hit

    def request(self, op: str, **members: Any) -> int:
        """Sends `op` with a fresh id; returns the id."""
        rid = self.next_id()
        self.send({"id": rid, "op": op, **members})
        return rid

    def get(self, timeout: Optional[float] = None) -> Any:
        """The next reply (a dict, or EOF); raises queue.Empty after `timeout`."""
        return self.replies.get(timeout=timeout)

    def answer(self, op: str, reply_type: str, timeout: float, **members: Any) -> Optional[dict]:
        """Sends a request that has one reply and waits for it; None on timeout or exit."""
        if not self.alive or self.ready is None:
            return None
        try:
            rid = self.request(op, **members)
        except PolicyExited:
            return None
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.log(f"no {reply_type} reply to request {rid} within {timeout} s")
                return None
            try:
                reply = self.get(timeout=remaining)
            except queue.Empty:
                continue
            if reply is EOF:
                self.replies.put(EOF)  # leave it for the next execute, which reports it
                return None
            if reply.get("id") != rid:
                self.log(f"dropped a reply to an earlier request: {reply!r:.200}")
                continue
            if reply.get("type") == "protocol_error":
                self.log(f"protocol error: {reply.get('message')}")
                return None
            if reply.get("type") == reply_type:
                return reply

    def interrupt(self) -> None:
        try:
            self.send({"op": "interrupt"})
        except PolicyExited:
            pass

    # -- stopping ---------------------------------------------------------------------------

    def shutdown(self, timeout: float = 5.0) -> None:
        """Asks the child to leave, waits for it, and kills it after `timeout`."""
        if self.proc is None:
            return
        if self.alive:
            try:
                self.send({"id": self.next_id(), "op": "shutdown"})
            except (PolicyExited, KeyboardInterrupt):
                pass
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.log(f"policy did not exit within {timeout} s of shutdown; killing it")
        self.kill()

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
