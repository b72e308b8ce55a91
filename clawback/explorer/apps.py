from django.apps import AppConfig


class Config(AppConfig):
    name = "clawback.explorer"
    label = "explorer"
