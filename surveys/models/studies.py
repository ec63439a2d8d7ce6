"""A study: its scale, its consensus rule and its settings."""

import copy
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

import consensus
from vignettes.validators import validate_no_link, validate_one_line


class TimeStampedModel(models.Model):
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        abstract = True


# Every point of a scale lies here, whatever the database column would hold:
# each point is a choice on every ballot, and a scale of a million points is
# a page neither the server nor a panelist's browser can build.
SCALE_RANGE = (0, 100)
_scale_validators = [MinValueValidator(SCALE_RANGE[0]), MaxValueValidator(SCALE_RANGE[1])]

# The rule list is consensus.RULES; the field offers exactly those rules.
RULE_CHOICES = [(code, rule.name) for code, rule in consensus.RULES.items()]


@cache
def time_zones() -> list[str]:
    """The IANA time zones a study may keep its times in, sorted."""
    return sorted(available_timezones() - {"localtime"})


def validate_time_zone(value: str) -> None:
    if value not in time_zones():
        raise ValidationError(_("Choose a time zone from the list, e.g. America/Chicago."))


class Study(TimeStampedModel):
    SCALE_FIELDS = ("scale_min", "scale_neutral", "scale_max")
    # The protocol: what decides a verdict. It is locked when round 1 opens;
    # a later change is a recorded protocol deviation (ProtocolDeviation).
    PROTOCOL_FIELDS = (*SCALE_FIELDS, "consensus_rule", "consensus_params", "not_recommended_threshold", "minimum_n")
    # What a facilitator edits on the settings page, and a new study starts with.
    SETTINGS_FIELDS = ("title", "description", "time_zone", *PROTOCOL_FIELDS)
    # Who may create a study, and so invite people and mail them, is the
    # deployment's decision: this permission, carried by this group
    # (surveys.services.studies.study_creators_group, docs/deploy.md).
    CREATE_PERMISSION = "surveys.add_study"
    CREATORS_GROUP = "Study creators"
    SCALE_RANGE = SCALE_RANGE

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    # The title goes into every invitation and reminder: one line, and no address of its own.
    title = models.CharField(_("title"), max_length=200, validators=[validate_one_line, validate_no_link])
    description = models.TextField(_("description"), blank=True)
    scale_min = models.SmallIntegerField(_("scale minimum"), default=1, validators=_scale_validators)
    scale_max = models.SmallIntegerField(_("scale maximum"), default=9, validators=_scale_validators)
    scale_neutral = models.SmallIntegerField(_("neutral point"), default=5, validators=_scale_validators)
    consensus_rule = models.CharField(_("consensus rule"), max_length=20, choices=RULE_CHOICES, default="mayo")
    # Parameters of the rule, e.g. {"above_neutral": 5, "mean_above": 7};
    # validated by consensus.validate_params before they are saved.
    consensus_params = models.JSONField(_("consensus parameters"), default=dict, blank=True)
    not_recommended_threshold = models.DecimalField(
        _("not-recommended threshold (%)"),
        max_digits=5,
        decimal_places=2,
        default=50,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
        error_messages={"min_value": _("Give a share between 0.01 and 100."), "max_value": _("Give a share between 0.01 and 100.")},
        help_text=_("An option is listed when at least this share of the panel would not recommend it."),
    )

    minimum_n = models.PositiveSmallIntegerField(
        _("minimum answers to show"),
        default=3,
        help_text=_(
            "Below this many answers the panel sees no distribution and no comments, "
            "only that there are too few to show: with two answers, each panelist could tell the other's."
        ),
    )

    # The facilitators' own words inside the fixed invitation mail.
    invitation_note = models.TextField(_("invitation note"), blank=True, validators=[validate_no_link])
    # Deadlines are typed, shown and mailed in this zone, named next to each time.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("Deadlines are entered and shown in this zone, and mails give times in it."),
    )
    protocol_locked_at = models.DateTimeField(_("protocol locked at"), null=True, blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("study")
        verbose_name_plural = _("studies")
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_min__lt=F("scale_neutral")) & Q(scale_neutral__lt=F("scale_max")),
                name="study_scale_ordered",
                violation_error_message=_("The scale's points must be in order: minimum < neutral < maximum."),
            ),
            models.CheckConstraint(
                condition=Q(not_recommended_threshold__gt=0) & Q(not_recommended_threshold__lte=100),
                name="study_threshold_is_a_percentage",
                violation_error_message=_("Give a share between 0.01 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(minimum_n__gte=1),
                name="study_minimum_n_positive",
                violation_error_message=_("At least one answer must be needed to show results."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def scale(self) -> consensus.Scale:
        """The Likert scale every statement of the study is rated on."""
        return consensus.Scale(min=self.scale_min, max=self.scale_max, neutral=self.scale_neutral)

    def rule_and_params(self, rule: str | None = None) -> tuple[str, dict]:
        """The study's own rule with its parameters, or another rule with that rule's defaults."""
        if rule is None or rule == self.consensus_rule:
            return self.consensus_rule, consensus.validate_params(self.consensus_rule, self.consensus_params, self.scale)
        return rule, consensus.validate_params(rule, None, self.scale)

    def protocol(self) -> dict:
        """The protocol's values as JSON holds them, to keep with a round whose results the panel has seen."""
        values = {name: getattr(self, name) for name in self.PROTOCOL_FIELDS}
        values["not_recommended_threshold"] = str(values["not_recommended_threshold"])
        return values

    def under_protocol(self, protocol: dict | None) -> "Study":
        """This study as it was under an earlier protocol (a round's, kept at its release); unsaved."""
        if not protocol:
            return self
        earlier = copy.copy(self)
        for name, value in protocol.items():
            if name in self.PROTOCOL_FIELDS:
                setattr(earlier, name, Decimal(value) if name == "not_recommended_threshold" else value)
        return earlier

    def describe_rule(self) -> str:
        """The study's consensus rule in plain words."""
        return consensus.describe(self.consensus_rule, self.consensus_params, self.scale)


class ProtocolDeviation(models.Model):
    """A change of the protocol after it was locked: when, by whom, why, and each value before and after."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="deviations", verbose_name=_("study"))
    made_at = models.DateTimeField(_("made at"), auto_now_add=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("made by")
    )
    reason = models.TextField(_("reason"))
    # {field: [before, after]}, in the JSON form of Study.protocol().
    changes = models.JSONField(_("changes"))

    class Meta:
        ordering = ["study", "made_at", "pk"]
        verbose_name = _("protocol deviation")
        verbose_name_plural = _("protocol deviations")

    def __str__(self):
        return f"{self.study} – deviation of {self.made_at:%Y-%m-%d}"

    def describe(self) -> str:
        """Each change in words, e.g. "consensus params {'mean_above': 7} → {'mean_above': 7.5}"."""
        return "; ".join(
            f"{name.replace('_', ' ')} {_value(before)} → {_value(after)}" for name, (before, after) in self.changes.items()
        )


def _value(value) -> str:
    if isinstance(value, dict):
        # Sorted: PostgreSQL's jsonb keeps keys in an order of its own.
        return "{" + ", ".join(f"{key}: {item}" for key, item in sorted(value.items())) + "}"
    return str(value)
