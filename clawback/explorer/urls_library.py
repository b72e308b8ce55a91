"""Saved and tracked queries (SPEC §3): their pages, included by ``clawback.explorer.urls``."""

from django.urls import path

from clawback.explorer import library

urlpatterns = [
    path("saved/", library.saved_list, name="explorer-saved"),
    path("saved/<int:saved_id>/", library.saved_update, name="explorer-saved-update"),
    path("saved/<int:saved_id>/delete/", library.saved_delete, name="explorer-saved-delete"),
    path("tracked/", library.tracked_list, name="explorer-tracked"),
    path("tracked/<int:tracked_id>/", library.tracked_detail, name="explorer-tracked-detail"),
    path("tracked/<int:tracked_id>/run/", library.tracked_run, name="explorer-tracked-run"),
    path("tracked/<int:tracked_id>/delete/", library.tracked_delete, name="explorer-tracked-delete"),
]
