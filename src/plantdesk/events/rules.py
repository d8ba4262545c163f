"""Alert-to-incident rules (DOMAIN.md section 7): the first enabled rule that matches decides whether an
alert opens an incident, opens a service request (a catalog item) or is only recorded. With no rule
matching, critical, major and minor alerts open incidents and warnings and info are recorded."""

from __future__ import annotations

from fnmatch import fnmatchcase

from plantdesk.core.config_cache import config_cache
from plantdesk.events.models import Alert, AlertRule
from plantdesk.incidents.choices import Level

DEFAULT_INCIDENT_SEVERITIES = ("critical", "major", "minor")
URGENCY = {"critical": Level.HIGH, "major": Level.HIGH, "minor": Level.MEDIUM, "warning": Level.LOW, "info": Level.LOW}
IMPACT = {"critical": Level.HIGH, "high": Level.HIGH, "medium": Level.MEDIUM, "low": Level.LOW}

_rules = config_cache(
    lambda: list(AlertRule.objects.filter(enabled=True).select_related("catalog_item").order_by("position", "id"))
)


def rule_for(alert: Alert) -> AlertRule | None:
    return next((rule for rule in _rules.get() if matches(rule, alert)), None)


def matches(rule: AlertRule, alert: Alert) -> bool:
    if rule.severities and alert.severity not in rule.severities:
        return False
    if rule.sources and not any(fnmatchcase(alert.source, str(p)) for p in rule.sources):
        return False
    if rule.ci_classes and (alert.ci is None or alert.ci.ci_class.name not in rule.ci_classes):
        return False
    return not rule.sites or (alert.site is not None and alert.site.code in rule.sites)


def opens_record(alert: Alert) -> bool:
    """Whether the alert opens an incident or a request (else it is only recorded)."""
    rule = rule_for(alert)
    if rule is None:
        return alert.severity in DEFAULT_INCIDENT_SEVERITIES
    return rule.action != AlertRule.RECORD_ONLY


def request_rule(alert: Alert) -> AlertRule | None:
    """The `open_request` rule that decides for the alert, if that is what decides."""
    rule = rule_for(alert)
    return rule if rule is not None and rule.action == AlertRule.OPEN_REQUEST else None


def impact_and_urgency(alert: Alert) -> tuple[int, int]:
    """Impact from the CI's criticality (medium without a CI), urgency from the alert's severity."""
    impact = IMPACT[alert.ci.criticality] if alert.ci is not None else Level.MEDIUM
    return int(impact), int(URGENCY.get(alert.severity, Level.LOW))
