from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_recover
from .forms import LoginForm

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html", authentication_form=LoginForm,
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("recover/", views_recover.recover_start, name="password_recover"),
    path("recover/code/", views_recover.recover_code, name="password_recover_code"),
    path("keepalive/", views.keepalive, name="keepalive"),
]
