from django.apps import AppConfig


class Config(AppConfig):
    name = "clawback.mailstores"
    label = "mailstores"
