"""Which Sparkplug metrics are alarms and how severe they are, from the environment (read when the
ingest starts, so a test or an operator can change them per process)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fnmatch import fnmatchcase

from plantdesk.events.ingest import SEVERITIES

DEFAULT_ALARM_METRICS = "*Alarm*,*Fault*,Alarms/*"
TRIGGER_SEVERITIES = tuple(s for s in SEVERITIES if s != "clear")


@dataclass(frozen=True)
class AlarmConfig:
    patterns: tuple[tuple[str, str], ...]  # (lower-case shell pattern, severity when true)
    offline_severity: str = "critical"

    @classmethod
    def from_env(cls) -> AlarmConfig:
        default = _severity(os.environ.get("PLANTDESK_SPARKPLUG_ALARM_SEVERITY", "major"), "ALARM_SEVERITY")
        spec = os.environ.get("PLANTDESK_SPARKPLUG_ALARM_METRICS", DEFAULT_ALARM_METRICS)
        patterns: list[tuple[str, str]] = []
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            pattern, _, severity = item.partition("=")
            patterns.append(
                (pattern.strip().lower(), _severity(severity.strip(), "ALARM_METRICS") if severity else default)
            )
        offline = _severity(os.environ.get("PLANTDESK_SPARKPLUG_OFFLINE_SEVERITY", "critical"), "OFFLINE_SEVERITY")
        return cls(tuple(patterns), offline)

    def severity_of(self, metric: str) -> str | None:
        """The severity of alarm metric `metric` when true; None when it is not an alarm. Case-insensitive,
        because PLC tag naming is not consistent about it; the first matching pattern wins."""
        name = metric.lower()
        return next((severity for pattern, severity in self.patterns if fnmatchcase(name, pattern)), None)


def _severity(value: str, setting: str) -> str:
    if value not in TRIGGER_SEVERITIES:
        raise ValueError(f"PLANTDESK_SPARKPLUG_{setting}: {value!r} is not one of {', '.join(TRIGGER_SEVERITIES)}.")
    return value
