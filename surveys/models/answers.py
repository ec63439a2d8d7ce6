"""The pseudonymous side (SPEC 5): per-study pseudonyms and what they answered.

No row here has a foreign key to a user or a membership. The link from a
user to their pseudonym is a keyed hash whose key lives in the environment
(surveys.pseudonyms), so the database alone cannot join people to answers.

Rows here are written only when a round is counted at close (or imported),
all of a round's rows in one transaction and one shuffled order, and carry
no date of their own: neither ids, nor row order, nor the transaction, nor a
time can tell in what order people voted (surveys.services.counting).
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Participant(models.Model):
    """A per-study pseudonym. Deliberately no foreign key to the user (SPEC 5)."""

    study = models.ForeignKey("surveys.Study", on_delete=models.CASCADE, related_name="participants", verbose_name=_("study"))
    label = models.CharField(_("pseudonym"), max_length=20)
    # HMAC-SHA256(PARTICIPANT_LINK_KEY, study id + user id): see
    # surveys.pseudonyms. Empty for panelists known only by an imported label.
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
    item = models.ForeignKey("surveys.Item", on_delete=models.CASCADE, related_name="answers")
    rating = models.SmallIntegerField(null=True, blank=True)
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        # The panel's feedback counts a round's ratings per item and point in
        # this index alone, without reading the rows (surveys.selectors.feedback).
        indexes = [models.Index(fields=["item", "rating", "participant"], name="answer_item_rating")]
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
                violation_error_message=_("A rating must lie on the item's scale."),
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
            models.CheckConstraint(
                condition=Q(rank__isnull=True) | Q(rank__gte=1),
                name="rank_positive",
                violation_error_message=_("A rank starts at 1."),
            ),
        ]


class Submission(models.Model):
    """That a pseudonym has submitted a round: the panel whose answers count.

    Written when the round is counted, from the submitted ballots; analysis
    counts only the answers of participants who submitted (SPEC 4.2).
    """

    round = models.ForeignKey("surveys.Round", on_delete=models.CASCADE, related_name="submissions")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="submissions")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "participant"], name="one_submission_per_round_and_participant"),
        ]
