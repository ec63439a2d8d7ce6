from django.apps import AppConfig


class VignettesConfig(AppConfig):
    name = "vignettes"
