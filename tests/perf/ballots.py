"""`make bench`'s ballot box: the study's next round opened, and a sealed, submitted ballot for each of a panel.

`python -m tests.commands tests.perf.ballots SLUG --panelists N` carries the
last closed round forward, opens it, and seals one submitted ballot per new
panelist, as the voting pages would, a rating for every Likert statement and
two options not recommended per vignette. The close that counts them is
timed as its own step (tests.perf.close_round).
"""

import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from surveys import ballot
from surveys.models import Ballot, Item, Membership, Round, Study
from surveys.services.lineage import round_carry_all
from surveys.services.rounds import round_open


class Command(BaseCommand):
    help = "Open the bench study's next round with a submitted sealed ballot for each of a panel."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--panelists", type=int, default=1000)

    @transaction.atomic
    def handle(self, *args, slug, panelists, **options):
        study = Study.objects.get(slug=slug)
        last = study.rounds.filter(status=Round.Status.CLOSED).order_by("-number").first()
        following = round_open(round=round_carry_all(round=last))
        User = get_user_model()
        people = [User(username=f"{slug}-voter-{n:05d}") for n in range(panelists)]
        for person in people:
            person.set_unusable_password()
        User.objects.bulk_create(people, batch_size=2000)
        members = Membership.objects.bulk_create(
            (Membership(study=study, user=person, role=Membership.Role.PANELIST) for person in people), batch_size=2000
        )
        items = list(following.items.prefetch_related("item_options"))
        rng = random.Random(2026)
        answers = []
        for _member in members:
            mine = []
            for item in items:
                if item.type == Item.Type.LIKERT:
                    mine.append(ballot.AnswerInput(item_id=item.pk, rating=rng.randint(1, 9)))
                elif item.type == Item.Type.NOT_RECOMMENDED:
                    offered = [link.option_id for link in item.item_options.all()]
                    mine.append(ballot.AnswerInput(item_id=item.pk, options=tuple((o, None) for o in offered[:2])))
            answers.append(mine)
        size = max(ballot.size_for(mine) for mine in answers)
        Round.objects.filter(pk=following.pk).update(ballot_size=size)
        Ballot.objects.bulk_create(
            (
                Ballot(
                    round=following,
                    membership=member,
                    status=Ballot.Status.SUBMITTED,
                    sealed=ballot.seal(answers=mine, round_id=following.pk, membership_id=member.pk, size=size),
                )
                for member, mine in zip(members, answers, strict=True)
            ),
            batch_size=500,
        )
        self.stdout.write(
            f"round {following.number}: {len(members)} sealed ballots of {sum(map(len, answers)) // len(members)} "
            f"answers each, {size:,} bytes"
        )
