from django.urls import include, path

urlpatterns = [
    path("api/", include("clawback.api.urls")),
    path("explorer/", include("clawback.explorer.urls")),
    path("", include("clawback.web.urls")),
]
