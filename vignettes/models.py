"""Clinical content of a study: vignettes, their variations, treatment options.

Content belongs to one study, because codes are unique within a study
(SPEC 4.1) and a panel edits its own wording between rounds.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vignettes.validators import validate_one_line


class Vignette(models.Model):
    """A clinical case. A variation has a base and states the one aspect it changes."""

    study = models.ForeignKey(
        "surveys.Study", on_delete=models.CASCADE, related_name="vignettes", verbose_name=_("study")
    )
    code = models.SlugField(_("code"), max_length=50)
    title = models.CharField(_("title"), max_length=200, validators=[validate_one_line])
    text = models.TextField(_("text"), blank=True)
    base = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="variations",
        verbose_name=_("base vignette"),
    )
    change = models.TextField(
        _("changed aspect"),
        blank=True,
        help_text=_("What this variation changes in the base vignette."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["study", "position", "pk"]
        verbose_name = _("vignette")
        verbose_name_plural = _("vignettes")
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="vignette_code_unique_in_study"),
            # A base vignette tells the whole case; a variation tells what it changes.
            models.CheckConstraint(
                condition=(Q(base__isnull=True) & ~Q(text="")) | (Q(base__isnull=False) & ~Q(change="")),
                name="vignette_has_text_or_change",
                violation_error_message=_(
                    "A base vignette needs its text, and a variation needs what it changes."
                ),
            ),
        ]

    def __str__(self):
        return self.title


class Option(models.Model):
    """A treatment option a panel rates, grouped as in the Mayo Table 2."""

    class Group(models.TextChoices):
        ADD = "add", _("Add")
        SWITCH = "switch", _("Switch")

    study = models.ForeignKey(
        "surveys.Study", on_delete=models.CASCADE, related_name="options", verbose_name=_("study")
    )
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200, validators=[validate_one_line])
    short = models.CharField(_("short name"), max_length=80, validators=[validate_one_line])
    group = models.CharField(_("group"), max_length=10, choices=Group.choices)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Options merged between rounds keep where they came from, as the Mayo
    # panel folded vortioxetine and vilazodone into "SRI not yet tried".
    merged_from = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="merged_into", verbose_name=_("merged from")
    )

    class Meta:
        ordering = ["study", "position", "pk"]
        verbose_name = _("treatment option")
        verbose_name_plural = _("treatment options")
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="option_code_unique_in_study"),
        ]

    def __str__(self):
        return self.short or self.name
