from django.urls import path

from plantdesk.problems.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_new, name="new"),
    path("preview/", views.preview, name="preview"),
    path("suggest/", views.suggestions, name="suggest"),
    path("<str:number>/", views.article_detail, name="detail"),
    path("<str:number>/edit/", views.article_edit, name="edit"),
    path("<str:number>/transition/", views.article_transition, name="transition"),
]
