from django.urls import include, path

urlpatterns = [
    path("api/", include("clawback.api.urls")),
    path("", include("clawback.web.urls")),
]
