from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _study_creators(sender, **kwargs):
    from surveys.services.studies import study_creators_group

    study_creators_group()


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self):
        from surveys import checks, tasks  # noqa: F401 - registers the deployment checks and the task-row pruning

        post_migrate.connect(_study_creators, sender=self)
