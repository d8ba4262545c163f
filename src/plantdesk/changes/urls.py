from plantdesk.changes.views import change_routes, schedule_routes

app_name = "changes"

urlpatterns = [*schedule_routes.urlpatterns, *change_routes.urlpatterns]
