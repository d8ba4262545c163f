from django.urls import path

from plantdesk.cmdb import views

app_name = "cmdb"

urlpatterns = [
    path("", views.ci_list, name="list"),
    path("<path:name>/", views.ci_detail, name="detail"),
]
