"""The UI's own pages: home and sign-in. The record apps' pages are mounted beside them, in the same `ui`
namespace, by the project's URLs (the composition root)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from plantdesk.ui import preferences, suggest, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("suggest/people/", suggest.people, name="suggest-people"),
    path("suggest/agents/", suggest.agents, name="suggest-agents"),
    path("suggest/groups/", suggest.groups, name="suggest-groups"),
    path("columns/<slug:list_name>/", views.save_list_columns, name="columns"),
    path("settings/", preferences.preferences, name="preferences"),
]
