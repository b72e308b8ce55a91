"""The subject search indexes, which differ per database (see clawback/explorer/search_indexes.py)."""

from django.db import migrations


def create(apps, schema_editor):
    from clawback.explorer import search_indexes

    search_indexes.ensure(schema_editor.connection)


def drop(apps, schema_editor):
    from clawback.explorer import search_indexes

    search_indexes.drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("explorer", "0001_saved_tracked_queries"),
        ("mail", "0003_explorer_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
