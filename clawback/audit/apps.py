from django.apps import AppConfig


class Config(AppConfig):
    name = "clawback.audit"
    label = "audit"
