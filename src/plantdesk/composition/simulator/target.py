"""Which PlantDesk `plantdesk simulate` talks to, and whether it is there (CONTRACT.md section 1).

`--url` wins, else `PLANTDESK_URL`, else the server `make run` starts: http://127.0.0.1:$PORT (PORT 8000
unless set), so `PORT=8080 make run` and `PORT=8080 plantdesk simulate` meet without a flag.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping

from plantdesk.composition.simulator.transports import SimulatorError

DEFAULT_PORT = "8000"
REACH_TIMEOUT = 3.0  # seconds: a server on this machine answers at once; a wrong port should not keep anyone


def plantdesk_url(explicit: str | None, environ: Mapping[str, str]) -> str:
    if explicit:
        return explicit
    if environ.get("PLANTDESK_URL"):
        return environ["PLANTDESK_URL"]
    port = environ.get("PORT") or DEFAULT_PORT
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise SimulatorError(f"PORT: a port number (1-65535) for http://127.0.0.1:$PORT, not {port!r}.")
    return f"http://127.0.0.1:{int(port)}"


def check_reachable(url: str, timeout: float = REACH_TIMEOUT) -> None:
    """Any HTTP answer from the login page is a server there; no answer within `timeout` is a clear error
    before anything is sent (and before a token is made for it)."""
    if not url.startswith(("http://", "https://")):
        raise SimulatorError(f"--url: an http:// or https:// address, not {url!r}.")
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/login/", timeout=timeout):  # noqa: S310 (checked above)
            return
    except urllib.error.HTTPError:
        return  # it answered: whatever the page says, the server is up
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SimulatorError(
            f"cannot reach PlantDesk at {url} within {timeout:g} s ({reason}): start it with `make run` "
            "(PORT=... for another port), or pass --url or set PLANTDESK_URL."
        ) from exc
