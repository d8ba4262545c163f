"""/integrations/...: the endpoints of senders that speak their own protocol rather than PlantDesk's API."""

from __future__ import annotations

from django.urls import re_path

from plantdesk.events.integrations import alertmanager, pagerduty

urlpatterns = [
    re_path(r"^alertmanager/?$", alertmanager.webhook, name="integrations-alertmanager"),
    # Clients join their base URL and "/v2/enqueue" in different ways: a trailing or doubled slash is the same.
    re_path(r"^pagerduty/+v2/enqueue/?$", pagerduty.enqueue, name="integrations-pagerduty"),
]
