from django.apps import AppConfig


class Config(AppConfig):
    name = "clawback.investigations"
    label = "investigations"
    verbose_name = "Investigations"

    def ready(self) -> None:
        # Connect the receivers of remediation's signals (remediation never imports us).
        from clawback.investigations import receivers  # noqa: F401
