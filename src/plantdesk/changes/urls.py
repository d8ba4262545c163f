from plantdesk.changes.views import change_routes, export_routes, schedule_routes

app_name = "changes"

# Fixed paths (windows/, schedule/, cab/) come before the catch-all <number>/ of the change pages.
urlpatterns = [*schedule_routes.urlpatterns, *export_routes.urlpatterns, *change_routes.urlpatterns]
