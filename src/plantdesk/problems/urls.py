"""The problem pages (mounted at /problems/ in the UI namespace): the list and problem pages, and the
actions the incident page offers (link to a problem, create one from the incident)."""

from plantdesk.problems import incident_views, views

app_name = "problems"

urlpatterns = [*incident_views.urlpatterns, *views.urlpatterns]
