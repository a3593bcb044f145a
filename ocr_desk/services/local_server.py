"""Local mode: our own OCR server as a child process, for a laptop with nothing set up.

With no server configured, the desktop app runs ``ocr-desk-server serve`` on a free
loopback port with its own data dir (``<app data>/local-server``) and a local
account it creates once through the server's admin commands. The account's token
is kept in that folder (mode 0600, next to the server database that holds its
hash): it belongs to the child process the app owns, not to a person, and its URL
changes every run, so the keyring (keyed by server URL) is the wrong home for it.
No Qt here; :meth:`LocalServer.start` blocks until the server answers, so the GUI
calls it from a worker thread.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ocr_desk.bundle import SERVER_LAUNCH, ServerNotBundledError, server_command
from ocr_desk.core import OcrDeskError

__all__ = ["LOCAL_COMPANY", "LOCAL_EMAIL", "LocalServer", "LocalServerError", "free_port"]

LOCAL_COMPANY = "Local"
LOCAL_EMAIL = "local@localhost"
LOCAL_PLAN = "enterprise"
"""The plan the local company gets, made unlimited and free in the local server's config."""
TOKEN_FILE = "local-token"
START_TIMEOUT = 60.0


class LocalServerError(OcrDeskError):
    """The embedded local server could not be set up or started."""

    code = "LOCAL_SERVER_FAILED"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """Starts, and stops, ``ocr-desk-server serve`` for this app."""

    def __init__(
        self,
        *,
        data_dir: Path,
        python: str | None = None,
        port: int | None = None,
        serve_args: Sequence[str] = (),
    ) -> None:
        self.data_dir = data_dir
        self.serve_args = tuple(serve_args)
        """Extra ``serve`` options (``--engine``, ``--ocr-workers``...)."""
        self._python = python
        """An interpreter to run the server with; None: :func:`server_command` decides."""
        self._port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.url: str | None = None
        self.log_path = data_dir / "server.log"

    def _command(self, *args: str) -> list[str]:
        """``ocr-desk-server --data-dir D ARGS``: this interpreter from source, the
        bundled ``ocr-desk-server`` program when frozen (see :mod:`ocr_desk.bundle`)."""
        args = ("--data-dir", str(self.data_dir), *args)
        if self._python is not None:
            return [self._python, "-c", SERVER_LAUNCH, *args]
        try:
            return server_command(*args)
        except ServerNotBundledError as exc:
            raise LocalServerError(str(exc)) from exc

    def _admin(self, *args: str) -> str:
        try:
            done = subprocess.run(
                self._command(*args), capture_output=True, text=True, timeout=120, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LocalServerError(
                f"the local server's `{' '.join(args)}` did not run: {exc}"
            ) from exc
        if done.returncode != 0:
            raise LocalServerError(
                f"the local server's `{' '.join(args)}` failed: "
                f"{(done.stderr or done.stdout).strip()[-500:]}. Check that the server extra "
                "is installed (pip install 'ocr-desk[server]') or set a server in Settings."
            )
        return done.stdout

    def ensure_account(self) -> str:
        """Create the server's database, company and user once; returns the token."""
        token_path = self.data_dir / TOKEN_FILE
        if token_path.exists():
            return token_path.read_text(encoding="utf-8").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._admin("init")
        self._unlimited_plan()
        self._admin("company", "add", LOCAL_COMPANY, "--plan", LOCAL_PLAN)
        token = _parse_token(self._admin("user", "add", LOCAL_EMAIL, "--company", LOCAL_COMPANY))
        tmp = token_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(token)
        os.replace(tmp, token_path)
        return token

    def _unlimited_plan(self) -> None:
        """One person on their own laptop: no monthly quota, no hourly upload limit, no price."""
        path = self.data_dir / "server.json"
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LocalServerError(f"the local server's {path} is unreadable: {exc}") from exc
        plans = config.setdefault("plans", {})
        plans[LOCAL_PLAN] = {
            **plans.get(LOCAL_PLAN, {}),
            "jobs_per_month": None,
            "uploads_per_hour": None,
            "price_per_page": "0",
        }
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def start(self, *, timeout: float = START_TIMEOUT) -> tuple[str, str]:
        """Set up if needed, serve, wait for ``/healthz``; returns (url, token)."""
        token = self.ensure_account()
        port = self._port or free_port()
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                self._command(
                    "serve", "--host", "127.0.0.1", "--port", str(port), *self.serve_args
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        finally:
            log.close()
        self.url = f"http://127.0.0.1:{port}"
        self._wait_ready(timeout)
        return self.url, token

    def _wait_ready(self, timeout: float) -> None:
        import httpx

        assert self.process is not None
        assert self.url is not None
        deadline = time.monotonic() + timeout
        delay = 0.05
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalServerError(
                    f"the local server stopped at once (exit {self.process.returncode}); "
                    f"see {self.log_path}"
                )
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(delay)  # waiting on a child process; nothing else to wait on
            delay = min(delay * 1.5, 0.5)
        self.stop()
        raise LocalServerError(
            f"the local server did not answer within {timeout:.0f} s; see {self.log_path}"
        )

    def stop(self, *, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the app dies, even by SIGKILL (Linux)."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _parse_token(output: str) -> str:
    """The token ``user add`` prints (JSON with a ``token`` key, or the longest word)."""
    text = output.strip()
    said = re.search(r"token[^:\n]*:\s*(\S+)", text, flags=re.IGNORECASE)
    if said:
        return said.group(1)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("token"), str):
        return str(data["token"])
    words: Sequence[str] = re.findall(r"[A-Za-z0-9_\-\.~+/=]{20,}", text)
    if not words:
        raise LocalServerError(f"`user add` printed no token: {text[-200:]!r}")
    return max(words, key=len)
