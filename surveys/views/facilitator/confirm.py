"""The confirmation page of a step that cannot be undone, or not easily: GET shows it, the step's POST acts."""

from django.shortcuts import render


def confirm_page(request, step: str, *, study, heading: str, button: str, cancel_url: str, status: int = 200,
                 button_class: str = "btn-danger", **context):
    """`step` names the template in surveys/facilitator/confirm/ that lists what the step will do."""
    context = {
        "study": study,
        "heading": heading,
        "button": button,
        "button_class": button_class,
        "cancel_url": cancel_url,
        **context,
    }
    return render(request, f"surveys/facilitator/confirm/{step}.html", context, status=status)
