from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self):
        from surveys import checks, tasks  # noqa: F401 - registers the deployment checks and the task-row pruning
