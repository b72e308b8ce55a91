from django.apps import AppConfig


class Config(AppConfig):
    name = "clawback.accounts"
    label = "accounts"
