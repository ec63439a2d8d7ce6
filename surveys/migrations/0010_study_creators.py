"""Creating a study becomes a permission (surveys.add_study), granted through the "Study creators" group.

Until now any signed-in account could create a study, and so invite and mail
anyone. Whoever facilitates a study today keeps the right; every other
account needs the operator to add it to the group (docs/deploy.md).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Study creators"


def forwards(apps, schema_editor):
    # Permissions are made after the last migration; this one needs its own now.
    surveys = apps.get_app_config("surveys")
    surveys.models_module = True
    create_permissions(surveys, apps=apps, verbosity=0)
    surveys.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Membership = apps.get_model("surveys", "Membership")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="surveys", codename="add_study"))
    facilitators = Membership.objects.filter(role="facilitator").values_list("user_id", flat=True).distinct()
    group.user_set.add(*facilitators)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0009_ballot_box_cleanup"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
