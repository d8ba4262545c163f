"""A real `plantdesk serve` process on its own database, for HTTP and browser tests.

It runs on a database of its own (a file under a temporary PLANTDESK_HOME, or a fresh PostgreSQL
database when PLANTDESK_DATABASE_URL names one), migrated and loaded with the demo plant through the
CLI, exactly as an operator would. Nothing is flushed, so the audit triggers stay in force.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def cli(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `plantdesk ARGS` against this server's database."""
        return subprocess.run(
            [str(BIN / "plantdesk"), *args], env=self.env, input=input, capture_output=True, text=True,
            check=check, timeout=300,
        )  # fmt: skip

    def token_for(self, username: str) -> str:
        return self.cli("token", "create", username).stdout.strip()

    def serve(self, workers: int = 1) -> None:
        """Start `plantdesk serve` on this server's port (again, after `kill`) and wait until it answers."""
        self.process = subprocess.Popen(
            [str(BIN / "plantdesk"), "serve", "--bind", self.base_url.removeprefix("http://"), "--workers",
             str(workers)],
            env=self.env, start_new_session=True,  # its own process group: the server with its worker processes
        )  # fmt: skip
        _wait_until_up(self)

    def kill(self) -> None:
        """SIGKILL to the server and its worker processes: no shutdown handler runs, as in a power cut or the
        OOM killer (killing only the main process would leave its workers serving the port)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)


@contextmanager
def _database(base_env: dict[str, str], home: Path) -> Iterator[dict[str, str]]:
    env = dict(base_env, PLANTDESK_HOME=str(home))
    url = base_env.get("PLANTDESK_DATABASE_URL", "")
    if not url.startswith("postgres"):
        env.pop("PLANTDESK_DATABASE_URL", None)
        yield env
        return
    import psycopg

    parts = urlsplit(url)
    name = f"plantdesk_e2e_{uuid.uuid4().hex[:8]}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["PLANTDESK_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield env
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def live_plantdesk(*, demo: bool = True, workers: int = 1, env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """`env`: extra PLANTDESK_* settings for this server (e.g. PLANTDESK_SECURE_COOKIES)."""
    home = Path(tempfile.mkdtemp(prefix="plantdesk-live-"))
    base_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    base_env["PLANTDESK_SECRET_KEY"] = "live-test-" + uuid.uuid4().hex
    base_env.update(env or {})
    try:
        with _database(base_env, home) as server_env:
            port = free_port()
            server = LiveServer(base_url=f"http://127.0.0.1:{port}", env=server_env)
            server.cli("migrate", "--noinput", "-v0")
            if demo:
                server.cli("demo")
            try:
                server.serve(workers)
                yield server
            finally:
                if server.process is not None and server.process.poll() is None:
                    os.killpg(server.process.pid, signal.SIGTERM)
                    try:
                        server.process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        os.killpg(server.process.pid, signal.SIGKILL)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _wait_until_up(server: LiveServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            raise RuntimeError(f"plantdesk serve exited with {server.process.returncode}")
        try:
            if httpx.get(f"{server.base_url}/login/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"plantdesk serve did not answer on {server.base_url} within {timeout}s")
