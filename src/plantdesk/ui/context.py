"""Template context shared by every page: the main navigation.

The kernel imports no record app: the items name their pages by URL name. The current item is the one whose
part of the site holds the request's path, the most specific one winning (/events/integrations/ is
Integrations, not Alerts; /incidents/new/ is New incident, not Queue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from plantdesk.ui.zones import page_zone


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    # The item owns only the paths under its own URL; otherwise its whole section (/changes/cab/ is Changes).
    own_url_only: bool = False

    def prefix(self, url: str) -> str:
        return url if self.own_url_only else "/" + url.strip("/").split("/", 1)[0] + "/"


AGENT_ITEMS = (
    NavItem(_("Queue"), "ui:incidents:queue"),
    NavItem(_("New incident"), "ui:incidents:create", own_url_only=True),
    NavItem(_("Problems"), "ui:problems:list"),
    NavItem(_("Requests"), "ui:requests:list"),
    NavItem(_("Portal"), "ui:portal"),
    NavItem(_("Alerts"), "ui:events:console"),
    NavItem(_("Changes"), "ui:changes:list"),
    NavItem(_("Knowledge"), "ui:knowledge:list"),
    NavItem(_("CMDB"), "ui:cmdb:list"),
    NavItem(_("Service levels"), "ui:slas:attainment"),
)
ADMIN_ITEMS = (NavItem(_("Integrations"), "ui:events:integrations", own_url_only=True),)
REQUESTER_ITEMS = (
    NavItem(_("My incidents"), "ui:portal"),
    NavItem(_("Raise an incident"), "ui:portal-new", own_url_only=True),
    NavItem(_("Request something"), "ui:portal-catalog", own_url_only=True),
    NavItem(_("My requests"), "ui:portal-requests", own_url_only=True),
    NavItem(_("Knowledge"), "ui:portal-knowledge", own_url_only=True),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    is_fulfiller = signed_in and bool(getattr(user, "is_fulfiller", False))
    if is_fulfiller:
        chosen = AGENT_ITEMS + (ADMIN_ITEMS if getattr(user, "is_plantdesk_admin", False) else ())
    elif signed_in:
        chosen = REQUESTER_ITEMS
    else:
        chosen = ()
    entries = [(item.label, url, item.prefix(url)) for item in chosen for url in (reverse(item.url_name),)]
    matching = [prefix for _label, _url, prefix in entries if request.path.startswith(prefix)]
    current = max(matching, key=len, default=None)
    items = [(label, url, prefix == current) for label, url, prefix in entries]
    return {"is_fulfiller": is_fulfiller, "nav_items": items, "page_zone": page_zone()}
