from django.contrib.auth import views as auth_views
from django.urls import include, path

from clawback.web import settings_views, views

settings_patterns = [
    path("", settings_views.index, name="settings"),
    path("domains/", settings_views.domains, name="settings-domains"),
    path("users/", settings_views.users, name="settings-users"),
    path("tokens/", settings_views.tokens, name="settings-tokens"),
    path("tokens/<int:pk>/revoke/", settings_views.revoke_token, name="settings-token-revoke"),
    path("stores/", settings_views.stores, name="settings-stores"),
    path("audit/", settings_views.audit, name="settings-audit"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("action-center/", include("clawback.remediation.urls")),
    path("investigations/", views.investigations, name="investigations"),
    path("settings/", include(settings_patterns)),
]
