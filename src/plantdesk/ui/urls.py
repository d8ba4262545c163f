from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import path

app_name = "ui"


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("PlantDesk")


urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
