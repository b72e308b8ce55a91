from django.apps import AppConfig


class Config(AppConfig):
    name = "clawback.remediation"
    label = "remediation"
    verbose_name = "Remediation"
