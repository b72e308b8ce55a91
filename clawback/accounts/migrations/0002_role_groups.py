"""Create the roles (permissions) and the default role groups of SPEC §6.

Role groups are ordinary data afterwards: an organisation may edit them, and this migration
never runs again to undo such edits.
"""

from django.db import migrations

ROLES = {
    "view": "View",
    "propose": "Propose",
    "preview": "Preview",
    "search_and_purge": "Search and Purge",
    "quarantine_admin": "Quarantine admin",
    "manage_settings": "Manage settings",
    "manage_users": "Manage users",
}
GROUPS = {
    "Global Administrator": list(ROLES),
    "Security Administrator": ["view", "propose", "search_and_purge", "quarantine_admin", "manage_settings"],
    "Data Investigator": ["view", "propose", "preview", "search_and_purge"],
    "Security Operator": ["view", "propose"],
    "Quarantine Administrator": ["view", "quarantine_admin"],
    "Security Reader": ["view"],
}


def create(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    ct, _ = ContentType.objects.get_or_create(app_label="accounts", model="access")
    perms = {}
    for codename, name in ROLES.items():
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for group_name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*(perms[c] for c in codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
