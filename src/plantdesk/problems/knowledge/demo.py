"""Demo knowledge articles, published: what a plant's service desk writes down first. Idempotent."""

from __future__ import annotations

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.problems.knowledge.actions import do_create_article, do_transition_article
from plantdesk.problems.knowledge.models import ArticleVersion

# (title, audience, CIs, Markdown body)
DEMO_ARTICLES: list[tuple[str, str, list[str], str]] = [
    (
        "Label printer on BER-L3 prints blank or faded labels",
        "public",
        ["BER-L3-PRN01", "BER-WS-L3-01"],
        "Blank or faded batch labels usually mean the **ribbon** is empty or creased.\n\n"
        "1. Open the printer cover and check the ribbon roll.\n"
        "2. Replace it if less than 1 cm is left, and close the cover.\n"
        "3. Press *Feed* once: the printer calibrates and the next label prints.\n\n"
        "Still blank? Raise an incident with the line number and a photo of a label.",
    ),
    (
        "Cannot log in to the MES after a password change",
        "public",
        ["BER-MES-APP01"],
        "The MES signs you in with your plant account.\n\n"
        "- Lock the terminal (*Ctrl+Alt+Del*, *Lock*) and unlock it with the **new** password.\n"
        "- Then log in to the MES again; the old session is closed after 5 minutes.\n\n"
        "If the MES says *account locked*, wait 15 minutes or call the service desk.",
    ),
    (
        "LIMS export to the batch record fails with a time-out",
        "public",
        ["SIN-LIMS-APP01"],
        "Large exports (more than 500 samples) can exceed the 60 second limit.\n\n"
        "Export per day instead of per week, or start the export after 18:00 when the LIMS is quiet.",
    ),
    (
        "Restarting the MES application service safely (agents)",
        "internal",
        ["BER-MES-APP01"],
        "Only between batches, with the line lead's agreement.\n\n"
        "1. Check no electronic batch record is open (`Active EBR` view is empty).\n"
        "2. Restart the `mes-app` service from the console, then check `/health` answers `ok`.\n"
        "3. Note the restart as a work note on the incident.",
    ),
    (
        "Historian data gaps after an OT gateway restart (agents)",
        "internal",
        ["BER-OTGW01"],
        "The gateway buffers 30 minutes of tags. A restart longer than that leaves a gap: "
        "backfill it from the PLC's local log with the historian's *Backfill* tool, then verify the trend.",
    ),
]


def load_demo_articles(actor: User) -> int:
    """Create the demo articles that are missing (by title) and publish them; returns how many were created."""
    present = set(
        ArticleVersion.objects.filter(title__in=[a[0] for a in DEMO_ARTICLES]).values_list("title", flat=True)
    )
    known_cis = set(restrict(actor, "view", ConfigurationItem).values_list("name", flat=True))
    created = 0
    for title, audience, cis, body in DEMO_ARTICLES:
        if title in present:
            continue
        data = {"title": title, "body": body, "audience": audience, "cis": [c for c in cis if c in known_cis]}
        article = do_create_article(data, actor=actor)
        do_transition_article(article, "review", actor=actor)
        do_transition_article(article, "published", actor=actor)
        created += 1
    return created
