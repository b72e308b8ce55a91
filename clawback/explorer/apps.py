from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _ensure_search_indexes(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from django.db.migrations.recorder import MigrationRecorder

    from clawback.explorer import search_indexes

    connection = connections[using]
    if ("explorer", "0002_search_indexes") in MigrationRecorder(connection).applied_migrations():
        search_indexes.ensure(connection)


class Config(AppConfig):
    name = "clawback.explorer"
    label = "explorer"

    def ready(self) -> None:
        # Again after every migrate: see search_indexes.py.
        post_migrate.connect(_ensure_search_indexes, sender=self, dispatch_uid="clawback-explorer-search-indexes")
