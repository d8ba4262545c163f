"""`plantdesk simulate` against a real `plantdesk serve`, as a newcomer runs it next to `make run`: REST with
the token it makes itself, and native JSON through Mosquitto into a `plantdesk ingest mqtt` process; then the
worker processes the inbox and the API shows the incidents the stories opened, the cleared ones resolved."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from plantdesk.testing.live import BIN, LiveServer, live_plantdesk

SPEED = "60"  # a pass of 180 s of plant time in 3 s


def get(server: LiveServer, path: str, token: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.base_url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def assert_the_stories_opened_and_resolved_incidents(server: LiveServer) -> None:
    token = server.token_for("admin")
    for ci in ("BER-L3-PLC01", "BER-OTGW01"):
        alerts = get(server, f"/alerts?ci={ci}&limit=500", token)
        assert alerts and all(a["state"] == "closed" for a in alerts if a["severity"] != "warning"), alerts
        numbers = {a["incident"] for a in alerts if a["incident"]}
        incidents = {i["number"]: i for i in get(server, f"/incidents?ci={ci}&limit=500", token)}
        assert numbers and numbers <= set(incidents), (numbers, list(incidents))
        assert all(incidents[n]["state"] == "resolved" for n in numbers), [incidents[n] for n in numbers]
    # The flapping level switch: its incident is left to a person.
    flapping = get(server, "/alerts?ci=BER-L2-PLC01&limit=500", token)
    assert any(a["incident"] for a in flapping)


def sent(output: str) -> int:
    match = re.search(r"^done: (\d+) events", output, re.MULTILINE)
    assert match, output
    return int(match.group(1))


@pytest.fixture
def rest_server() -> Iterator[LiveServer]:
    """Its own server: on the shared one, other tests' open alerts (an Alertmanager alert on the same PLC)
    would take the simulated alarms in as their secondaries."""
    with live_plantdesk(demo=True, workers=1) as server:
        yield server


def simulate(server: LiveServer, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`plantdesk simulate ARGS` with this server's database and `env` on top (PORT, PLANTDESK_URL), as from
    the terminal next to `make run`."""
    base = {k: v for k, v in server.env.items() if k not in ("PORT", "PLANTDESK_URL")}
    return subprocess.run([str(BIN / "plantdesk"), "simulate", *args], env={**base, **env}, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_simulate_over_rest_opens_and_resolves_incidents(rest_server: LiveServer) -> None:
    """No --url: PORT names the port `make run` serves on (PORT=8080 make run), as CONTRACT.md section 1 says."""
    server = rest_server
    port = server.base_url.rsplit(":", 1)[1]
    run = simulate(server, "--once", "--speed", SPEED, "--seed", "11", PORT=port)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == f"PlantDesk at http://127.0.0.1:{port}"
    assert "line-stop: BER-L3-PLC01 plc_fault critical" in run.stdout
    assert "edge-offline: BER-Plant/EdgeNode1 offline critical" in run.stdout
    assert sent(run.stdout) > 60
    server.cli("worker", "--once")
    assert_the_stories_opened_and_resolved_incidents(server)


def test_simulate_says_so_in_one_line_when_plantdesk_is_not_there_or_refuses(server: LiveServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    away = server.cli("simulate", "--url", closed, "--once", "--token", "pd_x", check=False)
    assert away.returncode != 0 and away.stderr.strip().count("\n") == 0
    assert "cannot reach PlantDesk" in away.stderr
    refused = server.cli("simulate", "--url", server.base_url, "--once", "--token", "pd_wrong", check=False)
    # An unknown token: 401, or 403 where the API falls back to the session (and finds no CSRF cookie).
    assert refused.returncode != 0 and "refused the token (40" in refused.stderr
    person = server.cli(
        "simulate", "--url", server.base_url, "--once", "--token", server.token_for("jdoe"), check=False
    )
    assert person.returncode != 0 and "refused the token (403)" in person.stderr


def test_the_option_wins_over_plantdesk_url_which_wins_over_port(server: LiveServer) -> None:
    """Each time the winner is a closed port, so the run stops before it sends anything: it names the URL it
    tried, exits non-zero, and has made no token for a server that is not there."""
    live_port, closed = server.base_url.rsplit(":", 1)[1], closed_url()
    cases = [
        (["--url", closed], {"PLANTDESK_URL": server.base_url, "PORT": live_port}),
        ([], {"PLANTDESK_URL": closed, "PORT": live_port}),
        ([], {"PORT": closed.rsplit(":", 1)[1]}),
    ]
    for args, env in cases:
        started = time.monotonic()
        run = simulate(server, *args, "--once", **env)
        assert run.returncode != 0, (args, env, run.stdout)
        assert run.stdout.splitlines()[0] == f"PlantDesk at {closed}", run.stdout
        assert f"cannot reach PlantDesk at {closed} within 3 s" in run.stderr
        assert "make run" in run.stderr and run.stderr.strip().count("\n") == 0
        assert time.monotonic() - started < 30
    accounts = server.cli("shell", "-c", "from plantdesk.accounts.models import User; "
                          "print(User.objects.filter(username='plantdesk-simulator').count())")  # fmt: skip
    assert accounts.stdout.strip().splitlines()[-1] == "0"  # no account or token made for nowhere
    bad_port = simulate(server, "--once", PORT="eighty")
    assert bad_port.returncode != 0 and "PORT: a port number" in bad_port.stderr


@pytest.fixture(scope="module")
def own_server() -> Iterator[LiveServer]:
    """A server of its own: the REST test's alarms, played again within the reopen window, would reopen their
    incidents instead of opening new ones."""
    with live_plantdesk(demo=True, workers=1) as server:
        yield server


def inbox_count(server: LiveServer, channel: str) -> int:
    code = (
        f"from plantdesk.events.models import InboxEvent; print(InboxEvent.objects.filter(channel={channel!r}).count())"
    )
    return int(server.cli("shell", "-c", code).stdout.strip().splitlines()[-1])


def test_simulate_over_mqtt_through_the_ingest(own_server: LiveServer) -> None:
    tag = uuid.uuid4().hex[:10]
    prefix = f"plantdesk/events/sim-{tag}"
    ingest = subprocess.Popen(
        [str(BIN / "plantdesk"), "ingest", "mqtt", "--host", "127.0.0.1", "--port", "1883",
         "--client-id", f"sim-ingest-{tag}", "--share-group", f"sim-{tag}", "--events-topic", f"{prefix}/#",
         "--sparkplug-topic", "", "--session-expiry", "60"],
        env=own_server.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        time.sleep(3)  # subscribed before the first message: a new session gets only what comes after
        assert ingest.poll() is None, ingest.stdout.read() if ingest.stdout else ""
        run = own_server.cli("simulate", "--mqtt", "--broker", "mqtt://127.0.0.1:1883", "--topic-prefix", prefix,
                             "--once", "--speed", SPEED, "--seed", "12")  # fmt: skip
        assert "line-stop: BER-L3-PLC01 plc_fault critical" in run.stdout
        deadline = time.monotonic() + 20
        while inbox_count(own_server, "mqtt") < sent(run.stdout):
            assert time.monotonic() < deadline, "the ingest did not store every event"
            time.sleep(0.5)
    finally:
        ingest.send_signal(signal.SIGTERM)
        ingest.wait(timeout=15)
    assert inbox_count(own_server, "mqtt") == sent(run.stdout)  # each once: QoS 1, and no event id repeats
    own_server.cli("worker", "--once")
    assert_the_stories_opened_and_resolved_incidents(own_server)


def test_simulate_says_so_when_the_broker_is_not_there(own_server: LiveServer) -> None:
    away = own_server.cli("simulate", "--mqtt", "--broker", "mqtt://127.0.0.1:9", "--once", check=False)
    assert away.returncode != 0 and "cannot reach the MQTT broker at 127.0.0.1:9" in away.stderr
    assert json.dumps(away.stderr.strip()).count("\\n") == 0
