"""Adapters for senders with their own protocol (Alertmanager, PagerDuty Events v2). Importing this package
registers their normalisers, so dead letters of these channels can be replayed."""

from plantdesk.events.channels import register
from plantdesk.events.integrations import alertmanager, pagerduty

register(alertmanager.CHANNEL, alertmanager.normalise)
register(pagerduty.CHANNEL, pagerduty.normalise)
