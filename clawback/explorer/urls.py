from django.urls import path

from clawback.explorer import views

urlpatterns = [
    path("", views.explorer, name="explorer"),
]
