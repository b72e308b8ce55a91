from django.apps import AppConfig


class Config(AppConfig):
    name = "clawback.web"
    label = "web"
