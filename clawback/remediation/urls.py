"""The Action center, mounted at /action-center/ (SPEC §5)."""

from django.urls import path

from clawback.remediation import views

urlpatterns = [
    path("", views.pending, name="action-center"),
    # Before "<key>/": approval ids start with "RA-" and ids are digits, so neither is "history".
    path("history/", views.history, name="action-center-history"),
    path("<str:key>/", views.remediation, name="remediation"),
    path("<str:key>/progress/", views.progress, name="remediation-progress"),
    path("<str:key>/export.csv", views.export, name="remediation-export"),
    path("<str:key>/approve/", views.approve, name="remediation-approve"),
    path("<str:key>/reject/", views.reject, name="remediation-reject"),
    path("<str:key>/undo/", views.undo, name="remediation-undo"),
]
