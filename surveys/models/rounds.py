"""Rounds and their items, with each item's options and its lineage across rounds."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import consensus


class Round(models.Model):
    class Kind(models.TextChoices):
        DEVELOPMENT = "development", _("Questionnaire development")
        CONSENSUS = "consensus", _("Consensus")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    study = models.ForeignKey("surveys.Study", on_delete=models.CASCADE, related_name="rounds", verbose_name=_("study"))
    number = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CONSENSUS)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    results_released_at = models.DateTimeField(_("results released at"), null=True, blank=True)
    # Bytes of padded plaintext in each of this round's sealed ballots (surveys.ballot).
    ballot_size = models.PositiveIntegerField(_("ballot size"), default=4096)
    # Answers came from a response file: there are no ballots to count again, so the round cannot reopen.
    answers_imported = models.BooleanField(_("answers imported"), default=False)
    # Once results are released the ballots go, and completion shrinks to these counts (SPEC 5).
    panel_count = models.PositiveIntegerField(_("panel at release"), null=True, blank=True)
    submitted_count = models.PositiveIntegerField(_("submitted at release"), null=True, blank=True)
    draft_count = models.PositiveIntegerField(_("drafts only at release"), null=True, blank=True)

    # The wording of the vignettes and options the round's items show, kept
    # when it first opened ({"vignettes": {id: {title, text, change}},
    # "options": {id: {name, short}}}): a later edit of the study's content
    # changes the rounds to come, never what this round's panel was shown.
    shown = models.JSONField(_("wording shown"), null=True, blank=True)
    # Days before the deadline on which whoever has not submitted is reminded
    # (surveys.tasks.scheduled_reminders), e.g. [3, 1].
    reminder_days = models.JSONField(_("reminders, days before the deadline"), default=list, blank=True)
    # The study's protocol when the results were released (Study.protocol()):
    # what the panel was shown stays what it was, whatever a later deviation.
    protocol = models.JSONField(_("protocol at release"), null=True, blank=True)

    class Meta:
        ordering = ["study", "number"]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="round_number_unique_in_study"),
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="round_number_positive",
                violation_error_message=_("Rounds are numbered from 1."),
            ),
        ]

    def __str__(self):
        return f"{self.study} – round {self.number}"

    @property
    def study_as_shown(self):
        """The study under the protocol the panel saw this round's results with (Study.under_protocol)."""
        return self.study.under_protocol(self.protocol)

    def accepts_answers(self, now=None) -> bool:
        """The one place that says whether a vote may be written now."""
        now = now or timezone.now()
        return self.status == self.Status.OPEN and (self.deadline is None or now <= self.deadline)


class RoundFigures(models.Model):
    """A closed round's counts and statistics, computed once when its answers were written.

    The round's close, a response import and an archive restore write them
    (analysis.services.figures), in the transaction that writes the answers;
    a protocol deviation writes them again; a reopen takes them away with the
    answers. A round without them is computed from its answers on each view. The results page, its
    downloads and export_consensus read them instead of counting a million
    answers on every view. They are aggregates of the pseudonymous side, as
    the tables are: no participant id or label is in them.

    Each part is a column of its own, so that a page reads and decodes only
    the parts it shows (analysis.tables.StoredFigures): at 1,200 statements
    a round's figures are megabytes of JSON, and the round comparison needs
    its changes alone. By item id: the rating counts, the item statistics
    and the verdict under `protocol`, the verdict under every rule; the
    change of each lineage link; the round 1 comparison of completers and
    dropouts; the option counts. Figures computed under another protocol (a
    deviation since) are not read.
    """

    round = models.OneToOneField(Round, on_delete=models.CASCADE, primary_key=True, related_name="figures")
    # The rule, its parameters and the scale the figures were computed under.
    protocol = models.JSONField()
    counts = models.JSONField()
    stats = models.JSONField()
    verdicts = models.JSONField()
    sensitivity = models.JSONField()
    choices = models.JSONField()
    changes = models.JSONField()
    attrition = models.JSONField()

    PARTS = ("counts", "stats", "verdicts", "sensitivity", "choices", "changes", "attrition")

    class Meta:
        verbose_name = _("round figures")
        verbose_name_plural = _("round figures")

    def __str__(self):
        return f"figures of {self.round_id}"


class Item(models.Model):
    """One question of a round, about a vignette and some options."""

    class Type(models.TextChoices):
        LIKERT = "likert", _("Likert statement")
        CATEGORICAL = "categorical", _("4-point recommendation")
        TOP_K = "top_k", _("Top choices")
        NOT_RECOMMENDED = "not_recommended", _("Options not recommended")
        RANKING = "ranking", _("Ranking of options")
        COMMENT = "comment", _("Comment")

    # Items answered with a rating; the rest are answered with options or text.
    RATED_TYPES = (Type.LIKERT, Type.CATEGORICAL)
    # Items that offer the facilitator's choice of options; a Likert or
    # 4-point item names the option(s) it is about instead.
    OPTION_LIST_TYPES = (Type.TOP_K, Type.NOT_RECOMMENDED, Type.RANKING)

    # The 4-point scale of the Mayo questionnaire's first survey, stored as
    # ratings 1..4 so the same answer column and constraint serve it. It has
    # no neutral answer, so no middle band: its bands are "would not
    # recommend" (1-2) and "would recommend" (3-4).
    CATEGORICAL_SCALE = consensus.Scale(min=1, max=4, neutral=None)
    CATEGORICAL_LABELS = {
        1: _("Will not recommend"),
        2: _("Likely not to recommend"),
        3: _("Likely to recommend"),
        4: _("Definitely recommend"),
    }

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="items", verbose_name=_("round"))
    # A statement's code from the study file, or "<vignette>:<kind>" for the
    # per-vignette items the platform adds (a colon never occurs in a slug).
    code = models.CharField(_("code"), max_length=120)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    text = models.TextField(_("text"), blank=True)
    vignette = models.ForeignKey(
        "vignettes.Vignette",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("vignette"),
    )
    options = models.ManyToManyField(
        "vignettes.Option", through="ItemOption", blank=True, related_name="items", verbose_name=_("options")
    )
    # Lineage: the item(s) of an earlier round this one continues. One parent
    # for carried or reworded items, several for a merge; none for a new item.
    parents = models.ManyToManyField(
        "self",
        through="ItemLink",
        through_fields=("child", "parent"),
        symmetrical=False,
        related_name="children",
        verbose_name=_("continues from"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    required = models.BooleanField(_("required"), default=True)
    max_choices = models.PositiveSmallIntegerField(
        _("maximum choices"), null=True, blank=True, help_text=_("For top-choice items: choose at most this many.")
    )
    scale_min = models.SmallIntegerField(_("scale minimum"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("scale maximum"), null=True, blank=True)

    class Meta:
        ordering = ["round", "position", "pk"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(fields=["round", "code"], name="item_code_unique_in_round"),
            models.CheckConstraint(
                condition=Q(scale_min__isnull=True, scale_max__isnull=True) | Q(scale_min__lt=F("scale_max")),
                name="item_scale_ordered",
                violation_error_message=_("The scale's minimum must be below its maximum."),
            ),
            models.CheckConstraint(
                condition=~Q(type="top_k") | Q(max_choices__gte=1),
                name="top_k_item_has_k",
                violation_error_message=_("Say how many top choices a panelist may make: at least one."),
            ),
        ]

    def __str__(self):
        return self.code

    @classmethod
    def ballot_fields(cls, item_type: str, options: int) -> int:
        """The most fields an item of this type posts on the ballot: one, or one per option an option list offers."""
        return max(1, options) if item_type in cls.OPTION_LIST_TYPES else 1

    @property
    def is_rated(self) -> bool:
        return self.type in self.RATED_TYPES

    @classmethod
    def rating_range(cls, type: str, scale_min: int | None, scale_max: int | None) -> tuple[int, int] | None:
        """The lowest and highest rating an item of this type takes, or None if it takes no rating.

        A Likert item keeps the scale it was asked on; a 4-point item is on
        CATEGORICAL_SCALE. Answers copy the range so that the database itself
        can refuse a rating outside it.
        """
        if type == cls.Type.CATEGORICAL:
            return (cls.CATEGORICAL_SCALE.min, cls.CATEGORICAL_SCALE.max)
        if type == cls.Type.LIKERT:
            return (scale_min, scale_max)
        return None

    @classmethod
    def scale_of_type(cls, type: str, study_scale: consensus.Scale) -> consensus.Scale:
        """The scale an item type's statistics are computed on: the study's, or the 4-point one."""
        return cls.CATEGORICAL_SCALE if type == cls.Type.CATEGORICAL else study_scale


class ItemOption(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="item_options")
    option = models.ForeignKey("vignettes.Option", on_delete=models.PROTECT, related_name="item_options")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["item", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "option"], name="option_once_per_item"),
        ]


class ItemLink(models.Model):
    """An edge of the lineage: `child` (round N+1) continues `parent` (round N)."""

    class Operation(models.TextChoices):
        CARRIED = "carried", _("Carried forward")
        REWORDED = "reworded", _("Reworded")
        MERGED = "merged", _("Merged")

    parent = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="child_links")
    child = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="parent_links")
    operation = models.CharField(max_length=10, choices=Operation.choices, default=Operation.CARRIED)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="lineage_edge_once"),
        ]
