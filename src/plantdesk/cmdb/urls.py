from django.urls import path

from plantdesk.cmdb import edit_views, import_views, views

app_name = "cmdb"

# The fixed paths come first: a CI name is matched by the catch-all `<path:name>/` patterns last.
urlpatterns = [
    path("", views.ci_list, name="list"),
    path("new/", edit_views.ci_create, name="create"),
    path("new/attributes/", edit_views.attribute_fields, name="attribute-fields"),
    path("import/", import_views.import_cis, name="import"),
    path("suggest/", views.suggest, name="suggest"),
    path("<path:name>/edit/", edit_views.ci_edit, name="edit"),
    path("<path:name>/retire/", edit_views.ci_retire, name="retire"),
    path("<path:name>/relationships/", edit_views.ci_relate, name="relate"),
    path("<path:name>/relationships/<int:relationship_id>/remove/", edit_views.ci_unrelate, name="unrelate"),
    path("<path:name>/", views.ci_detail, name="detail"),
]
