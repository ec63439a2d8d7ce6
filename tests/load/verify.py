"""Counts every answer after the load test (`python -m tests.commands tests.load.verify`).

It closes the rounds the test voted in, which counts their ballots, then
checks that no answer was lost or doubled and that each is the last one sent.
"""

import json
from collections import Counter
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from surveys.models import Answer, Participant, Round, Submission
from surveys.pseudonyms import participant_link_hash
from surveys.services.rounds import round_close


def _stored(answer: Answer):
    chosen = sorted(chosen.option_id for chosen in answer.chosen.all())
    return chosen if chosen else answer.rating


class Command(BaseCommand):
    help = "Closes the voted rounds and checks the counted answers against what the load test last sent."

    def add_arguments(self, parser):
        parser.add_argument("sent", help="JSON: [{username, study, round, answers: {item id: rating or [option ids]}}]")
        parser.add_argument("--panelists", type=int, required=True, help="how many panelists the test ran")

    def handle(self, *args, sent, panelists, **options):
        records = json.loads(Path(sent).read_text(encoding="utf-8"))
        # The ballot box counts at close: close every round the test voted in, then count what landed.
        for study, number in sorted({(r["study"], r["round"]) for r in records}):
            round_ = Round.objects.get(study__slug=study, number=number)
            if round_.status == Round.Status.OPEN:
                round_close(round=round_)
        users = {user.username: user.pk for user in get_user_model().objects.filter(username__in=[r["username"] for r in records])}
        problems, checked = [], 0
        if len(records) != panelists:
            problems.append(f"{panelists - len(records)} of {panelists} panelists did not finish the scenario")
        for record in records:
            round_ = Round.objects.select_related("study").get(study__slug=record["study"], number=record["round"])
            link = participant_link_hash(study_id=round_.study_id, user_id=users[record["username"]])
            participant = Participant.objects.filter(study=round_.study, link_hash=link).first()
            if participant is None:
                problems.append(f"{record['username']}: no pseudonym, every answer lost")
                continue
            answers = list(
                Answer.objects.filter(participant=participant, item__round=round_).prefetch_related("chosen")
            )
            per_item = Counter(answer.item_id for answer in answers)
            doubled = [item for item, count in per_item.items() if count > 1]
            expected = {int(item): value for item, value in record["answers"].items()}
            stored = {answer.item_id: _stored(answer) for answer in answers}
            lost = sorted(set(expected) - set(stored))
            extra = sorted(set(stored) - set(expected))
            wrong = sorted(item for item in set(expected) & set(stored) if stored[item] != expected[item])
            submissions = Submission.objects.filter(participant=participant, round=round_).count()
            for label, found in (("doubled", doubled), ("lost", lost), ("not sent", extra), ("not the last sent", wrong)):
                if found:
                    problems.append(f"{record['username']}: {len(found)} answer(s) {label}: items {found[:5]}")
            if submissions != 1:
                problems.append(f"{record['username']}: {submissions} submissions instead of 1")
            checked += len(expected)
        self.stdout.write(f"panelists checked: {len(records)}; answers checked: {checked}; problems: {len(problems)}")
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s): answers were lost, doubled or altered")
