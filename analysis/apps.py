from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "analysis"

    def ready(self):
        from analysis.services.figures import figures_on_answers_counted
        from surveys.signals import answers_counted

        # The ballot box's close and a protocol deviation store the closed rounds' figures in their transaction.
        answers_counted.connect(figures_on_answers_counted, dispatch_uid="analysis.figures")
