"""Which PlantDesk `plantdesk simulate` targets (--url, else PLANTDESK_URL, else 127.0.0.1:$PORT) and how it
tells that nothing answers there, within a short timeout."""

from __future__ import annotations

import socket
import time

import pytest

from plantdesk.composition.simulator.target import check_reachable, plantdesk_url
from plantdesk.composition.simulator.transports import SimulatorError


def test_the_url_comes_from_the_option_then_plantdesk_url_then_port() -> None:
    env = {"PLANTDESK_URL": "http://plant.example:9000", "PORT": "8080"}
    assert plantdesk_url("http://other:1", env) == "http://other:1"
    assert plantdesk_url(None, env) == "http://plant.example:9000"
    assert plantdesk_url(None, {"PORT": "8080"}) == "http://127.0.0.1:8080"
    assert plantdesk_url(None, {}) == "http://127.0.0.1:8000"
    assert plantdesk_url(None, {"PLANTDESK_URL": "", "PORT": ""}) == "http://127.0.0.1:8000"


@pytest.mark.parametrize("port", ["http", "0", "70000", "-1"])
def test_a_port_that_is_no_port_is_named(port: str) -> None:
    with pytest.raises(SimulatorError, match=r"^PORT: a port number"):
        plantdesk_url(None, {"PORT": port})


def test_a_closed_port_is_reported_at_once() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(SimulatorError, match=rf"^cannot reach PlantDesk at {url} within 3 s") as refused:
        check_reachable(url)
    assert "make run" in str(refused.value) and "PLANTDESK_URL" in str(refused.value)


def test_a_server_that_never_answers_is_given_up_on_after_the_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections are accepted by the kernel, but nothing ever answers them
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(SimulatorError, match=r"within 0.5 s"):
            check_reachable(url, timeout=0.5)
        assert time.monotonic() - started < 3


def test_not_an_http_url_is_refused_naming_the_option() -> None:
    with pytest.raises(SimulatorError, match=r"^--url: an http"):
        check_reachable("ftp://127.0.0.1:21")
