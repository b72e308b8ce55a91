from django.apps import AppConfig


class Config(AppConfig):
    name = "clawback.mail"
    label = "mail"
