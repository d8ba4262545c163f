from django.urls import path

from plantdesk.events.views import console, dead_letters, integrations, tools

app_name = "events"

urlpatterns = [
    path("alerts/", console.console, name="console"),
    path("alerts/<int:alert_id>/acknowledge/", console.acknowledge, name="acknowledge"),
    path("silences/", tools.silences, name="silences"),
    path("silences/new/", tools.silence_new, name="silence-new"),
    path("silences/<int:silence_id>/expire/", tools.silence_expire, name="silence-expire"),
    path("maintenance/", tools.maintenance, name="maintenance"),
    path("dead-letters/", dead_letters.dead_letters, name="dead-letters"),
    path("dead-letters/replay/", dead_letters.replay, name="replay"),
    path("integrations/", integrations.integration_list, name="integrations"),
    path("integrations/<str:username>/", integrations.integration_detail, name="integration"),
    path("integrations/<str:username>/keys/", integrations.issue_key, name="issue-key"),
    path("integrations/<str:username>/keys/<int:key_id>/revoke/", integrations.revoke_key, name="revoke-key"),
]
