"""Studies, rounds, items, participants and answers.

Anonymity (SPEC 5) shapes this module:
- an Answer belongs to a Participant, a per-study pseudonym with no foreign
  key to the user; the user -> participant link is a keyed hash whose key
  lives in settings, not in the database;
- answers carry a day, never a time;
- who has submitted (RoundCompletion) is kept apart from what they answered.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created = models.DateTimeField(_("created"), auto_now_add=True)
    modified = models.DateTimeField(_("modified"), auto_now=True)

    class Meta:
        abstract = True


class Study(TimeStampedModel):
    class Rule(models.TextChoices):
        MAYO = "mayo", _("All ratings above neutral and mean above a threshold (Mayo)")
        PERCENT = "percent", _("Percentage of ratings in the top band")
        COMET = "comet", _("COMET: consensus in / out")
        MEDIAN_IQR = "median_iqr", _("Median and interquartile range")
        RAND_UCLA = "rand_ucla", _("RAND/UCLA appropriateness")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    scale_min = models.SmallIntegerField(_("scale minimum"), default=1)
    scale_max = models.SmallIntegerField(_("scale maximum"), default=9)
    scale_neutral = models.SmallIntegerField(_("neutral point"), default=5)
    consensus_rule = models.CharField(_("consensus rule"), max_length=20, choices=Rule.choices, default=Rule.MAYO)
    # Parameters of the rule, e.g. {"above_neutral": 5, "mean_above": 7};
    # validated by consensus.validate_params before they are saved.
    consensus_params = models.JSONField(_("consensus parameters"), default=dict, blank=True)
    not_recommended_threshold = models.DecimalField(
        _("not-recommended threshold (%)"),
        max_digits=5,
        decimal_places=2,
        default=50,
        help_text=_("An option is listed when at least this share of the panel would not recommend it."),
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("study")
        verbose_name_plural = _("studies")
        constraints = [
            models.CheckConstraint(
                condition=Q(scale_min__lt=F("scale_neutral")) & Q(scale_neutral__lt=F("scale_max")),
                name="study_scale_ordered",
            ),
            models.CheckConstraint(
                condition=Q(not_recommended_threshold__gt=0) & Q(not_recommended_threshold__lte=100),
                name="study_threshold_is_a_percentage",
            ),
        ]

    def __str__(self):
        return self.title


class Membership(TimeStampedModel):
    """A person's role in a study. A facilitator may also read results."""

    class Role(models.TextChoices):
        FACILITATOR = "facilitator", _("Facilitator")
        PANELIST = "panelist", _("Panelist")
        ANALYST = "analyst", _("Analyst")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("study"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["study", "role", "pk"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["study", "user"], name="one_membership_per_user_and_study"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) in {self.study}"


class Round(models.Model):
    class Kind(models.TextChoices):
        DEVELOPMENT = "development", _("Questionnaire development")
        CONSENSUS = "consensus", _("Consensus")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="rounds", verbose_name=_("study"))
    number = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CONSENSUS)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    results_released_at = models.DateTimeField(_("results released at"), null=True, blank=True)

    class Meta:
        ordering = ["study", "number"]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="round_number_unique_in_study"),
            models.CheckConstraint(condition=Q(number__gte=1), name="round_number_positive"),
        ]

    def __str__(self):
        return f"{self.study} – round {self.number}"

    def accepts_answers(self, now=None) -> bool:
        """The one place that says whether a vote may be written now."""
        now = now or timezone.now()
        return self.status == self.Status.OPEN and (self.deadline is None or now <= self.deadline)


class Item(models.Model):
    """One question of a round, about a vignette and some options."""

    class Type(models.TextChoices):
        LIKERT = "likert", _("Likert statement")
        CATEGORICAL = "categorical", _("4-point recommendation")
        TOP_K = "top_k", _("Top choices")
        NOT_RECOMMENDED = "not_recommended", _("Options not recommended")
        RANKING = "ranking", _("Ranking of options")
        COMMENT = "comment", _("Comment")

    # The 4-point scale of the Mayo questionnaire's first survey; stored as
    # ratings 1..4 so the same answer column and constraint serve it.
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
            ),
            models.CheckConstraint(
                condition=~Q(type="top_k") | Q(max_choices__gte=1),
                name="top_k_item_has_k",
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def is_rated(self) -> bool:
        return self.type in (self.Type.LIKERT, self.Type.CATEGORICAL)


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


class Participant(models.Model):
    """A per-study pseudonym. Deliberately no foreign key to the user (SPEC 5)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="participants", verbose_name=_("study"))
    label = models.CharField(_("pseudonym"), max_length=20)
    # HMAC-SHA256(PARTICIPANT_LINK_KEY, study id + user id): see
    # surveys.services. Empty for panelists known only by an imported label.
    link_hash = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        ordering = ["study", "label"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["study", "label"], name="pseudonym_unique_in_study"),
            models.UniqueConstraint(fields=["study", "link_hash"], name="one_participant_per_person_and_study"),
        ]

    def __str__(self):
        return self.label


class Answer(models.Model):
    """One participant's answer to one item.

    `rating` holds Likert and categorical answers; `text` holds comments;
    chosen, not-recommended and ranked options are AnswerOption rows.
    `scale_min`/`scale_max` copy the item's scale so that the database itself
    can refuse a rating outside it (a CHECK cannot look at another table).
    """

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="answers")
    rating = models.SmallIntegerField(null=True, blank=True)
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    # The day only: a time of day could tell who answered (SPEC 5).
    answered_on = models.DateField(default=timezone.localdate)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "item"], name="one_answer_per_participant_and_item"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | (
                    Q(scale_min__isnull=False)
                    & Q(scale_max__isnull=False)
                    & Q(rating__gte=F("scale_min"))
                    & Q(rating__lte=F("scale_max"))
                ),
                name="rating_within_scale",
            ),
        ]


class AnswerOption(models.Model):
    """An option chosen in an answer; `rank` orders it in a ranking (1 = first)."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="chosen")
    option = models.ForeignKey("vignettes.Option", on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "option"], name="option_once_per_answer"),
            models.UniqueConstraint(fields=["answer", "rank"], name="rank_once_per_answer"),
            models.CheckConstraint(condition=Q(rank__isnull=True) | Q(rank__gte=1), name="rank_positive"),
        ]


class RoundCompletion(models.Model):
    """Whether a panelist has a draft or has submitted a round.

    Kept apart from answers: it names the membership (for reminders) and
    holds nothing of what was answered.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="completions")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="completions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    updated_on = models.DateField(default=timezone.localdate)

    class Meta:
        verbose_name = _("round completion")
        verbose_name_plural = _("round completions")
        constraints = [
            models.UniqueConstraint(fields=["round", "membership"], name="one_completion_per_round_and_member"),
        ]


class Submission(models.Model):
    """That a pseudonym has submitted a round: the panel whose answers count.

    The pseudonymous twin of RoundCompletion. Analysis counts only the
    answers of participants who submitted (SPEC 4.2), never drafts; neither
    table holds the link between the two.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="submissions")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="submissions")
    submitted_on = models.DateField(default=timezone.localdate)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "participant"], name="one_submission_per_round_and_participant"),
        ]


class Invitation(TimeStampedModel):
    """A single-use link that lets an invited person into a study.

    Only a SHA-256 of the token is stored, as Django stores password-reset
    material: a leaked database cannot be turned into working links.
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("study"))
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices, default=Membership.Role.PANELIST)
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("membership")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )

    class Meta:
        ordering = ["-created"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} → {self.study}"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.used_at:
            return "used"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AuditEvent(models.Model):
    """A facilitator's action on a study: who, what, when (issue 5).

    Holds no answers and never the participant link: `detail` carries what
    the action changed (a deadline, a round number, how many were reminded
    and who, by user name), nothing a panelist answered.
    """

    class Action(models.TextChoices):
        OPEN = "open", _("Opened a round")
        CLOSE = "close", _("Closed a round")
        EXTEND = "extend", _("Extended a deadline")
        RELEASE = "release", _("Released results")
        REMIND = "remind", _("Sent reminders")
        INVITE = "invite", _("Invited")
        EDIT = "edit", _("Edited")
        MERGE = "merge", _("Merged items")
        REVOKE = "revoke", _("Revoked an invitation")
        CREATE = "create", _("Created the study")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="audit_events", verbose_name=_("study"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    summary = models.CharField(_("summary"), max_length=300)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.created:%Y-%m-%d %H:%M} {self.get_action_display()}: {self.summary}"
