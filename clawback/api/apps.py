from django.apps import AppConfig


class Config(AppConfig):
    name = "clawback.api"
    label = "api"
