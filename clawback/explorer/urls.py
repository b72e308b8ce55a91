from django.urls import include, path

from clawback.explorer import entity, take_action, views

urlpatterns = [
    path("", views.explorer, name="explorer"),
    path("export.csv", views.export_csv, name="explorer-export"),
    path("columns/", views.columns, name="explorer-columns"),
    path("message/<int:message_id>/", entity.overview, name="explorer-message"),
    path("message/<int:message_id>/headers/", entity.headers, name="explorer-message-headers"),
    path("message/<int:message_id>/preview/", entity.preview, name="explorer-message-preview"),
    path("message/<int:message_id>/preview/frame/", entity.preview_frame, name="explorer-message-preview-frame"),
    path("message/<int:message_id>/eml/", entity.download_eml, name="explorer-message-eml"),
    path("take-action/", take_action.take_action, name="explorer-take-action"),
    path("", include("clawback.explorer.urls_library")),
]
