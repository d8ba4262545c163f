"""Alerta for bench/events.py: its own virtual environment (alerta-server from PyPI, pinned), its own database
on the same PostgreSQL server, a config file written here, and the Flask app served by gunicorn."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from common import PG_SERVER

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".bench" / "alerta-venv"
PACKAGES = ["alerta-server==9.1.0", "gunicorn==27.0.1", "psycopg2-binary==2.9.13"]

CONFIG = """\
# Written by bench/events.py for one run.
DATABASE_URL = '{url}'
AUTH_REQUIRED = False
PLUGINS = []  # no pre/post-receive plugins: the leanest receive path Alerta has
LOG_LEVEL = 'ERROR'
AUDIT_TRAIL = []
ALLOWED_ENVIRONMENTS = ['Production']
"""


def ensure_venv() -> Path:
    """Create .bench/alerta-venv on first use; later runs reuse it when the pinned packages are there."""
    python = VENV / "bin" / "python"
    check = [str(python), "-c", "import alerta, gunicorn, psycopg2; assert alerta.__name__"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return VENV
    print(f"installing {', '.join(PACKAGES)} into {VENV}")
    VENV.parent.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--clear", str(VENV)], check=True, timeout=300)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True, timeout=900)
    return VENV


def version() -> str:
    done = subprocess.run([str(VENV / "bin" / "python"), "-c", "import alerta.version as v; print(v.__version__)"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    return done.stdout.strip()


def server_command(config: Path, port: int, workers: int, max_seconds: int) -> tuple[list[str], dict[str, str]]:
    """gunicorn with sync workers (one request at a time each, as `plantdesk serve` runs one thread per
    worker), bounded by `timeout` so it cannot outlive the benchmark."""
    cmd = ["timeout", "-k", "10", str(max_seconds), str(VENV / "bin" / "gunicorn"), "--workers", str(workers),
           "--bind", f"127.0.0.1:{port}", "--no-control-socket", "--backlog", "2048", "--log-level", "warning",
           "alerta:create_app()"]  # fmt: skip
    return cmd, {"ALERTA_SVR_CONF_FILE": str(config), "PATH": "/usr/bin:/bin"}


def write_config(directory: Path, db: str) -> Path:
    """The config file, and the schema created once: two gunicorn workers creating it at the same time on
    an empty database make one fail to boot, which stops gunicorn."""
    path = directory / "alertad.conf"
    path.write_text(CONFIG.format(url=f"{PG_SERVER}/{db}"))
    init = "from alerta import create_app; create_app()"
    env = {"ALERTA_SVR_CONF_FILE": str(path), "HOME": str(directory)}
    subprocess.run([str(VENV / "bin" / "python"), "-c", init], check=True, env=env, cwd=directory, timeout=120)
    return path


def wait_up(port: int, process: subprocess.Popen[Any], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"alerta exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/management/healthcheck", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"alerta did not come up within {seconds:.0f} s: {log.read_text()[-2000:]}")


def counts(db: str) -> dict[str, tuple[int, int]]:
    """Per resource (our dedup key): the number of alerts and the events they account for (duplicates + 1)."""
    with psycopg.connect(f"{PG_SERVER}/{db}") as conn:
        rows = conn.execute("SELECT resource, count(*), sum(duplicate_count + 1) FROM alerts GROUP BY resource")
        return {key: (int(n), int(total)) for key, n, total in rows}
