from django.urls import path

from clawback.api.api import api, check_roles

api_urls = api.urls
check_roles(api)

urlpatterns = [path("v1/", api_urls)]
