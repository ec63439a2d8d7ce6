import hashlib
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from surveys.models import Invitation, Item, ItemOption, Membership, Round, Study
from surveys.services.studies import study_creators_group
from vignettes.models import Option, Vignette


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("a-long-test-password")


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study

    slug = factory.Sequence(lambda n: f"study-{n}")
    title = factory.Sequence(lambda n: f"Study {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    study = factory.SubFactory(StudyFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.PANELIST


class VignetteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vignette

    study = factory.SubFactory(StudyFactory)
    code = factory.Sequence(lambda n: f"v{n}")
    title = factory.Sequence(lambda n: f"Vignette {n}")
    text = "Ms X is a 30-year-old woman with depression."


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    study = factory.SubFactory(StudyFactory)
    code = factory.Sequence(lambda n: f"o{n}")
    name = factory.Sequence(lambda n: f"Option {n}")
    short = factory.LazyAttribute(lambda o: o.name)
    group = Option.Group.ADD


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round

    study = factory.SubFactory(StudyFactory)
    number = factory.Sequence(lambda n: n + 1)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    round = factory.SubFactory(RoundFactory)
    code = factory.Sequence(lambda n: f"item-{n}")
    type = Item.Type.LIKERT
    text = "TMS would be my main choice as the next treatment recommendation for this patient."
    vignette = factory.SubFactory(VignetteFactory, study=factory.SelfAttribute("..round.study"))
    scale_min = 1
    scale_max = 9


class ItemOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemOption

    item = factory.SubFactory(ItemFactory)
    option = factory.SubFactory(OptionFactory, study=factory.SelfAttribute("..item.round.study"))
    position = factory.Sequence(lambda n: n)


class InvitationFactory(factory.django.DjangoModelFactory):
    """An invitation whose plain token is `token`, as the emailed link carries it."""

    class Meta:
        model = Invitation
        exclude = ["token"]

    study = factory.SubFactory(StudyFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Membership.Role.PANELIST
    membership = factory.LazyAttribute(
        lambda o: MembershipFactory(
            study=o.study,
            role=o.role,
            # Not joined until the invitation is accepted, as invitations_create makes it.
            is_active=False,
            # A new address gets an account with no password yet, as invitations_create makes it.
            user=get_user_model().objects.filter(email=o.email).first()
            or UserFactory(username=o.email, email=o.email, password=None),
        )
    )
    token = factory.Sequence(lambda n: f"test-token-{n}")
    token_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.token.encode()).hexdigest())
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


def round_with_every_item_type(study: Study, *, number: int = 1, status: str = Round.Status.OPEN) -> Round:
    """An open round on a base vignette and a variation, with one item of each type over three options."""
    # Vignettes belong to the study, so later rounds ask about the same ones.
    base = Vignette.objects.filter(study=study, code="base").first() or VignetteFactory(
        study=study, code="base", title="Base vignette"
    )
    variation = Vignette.objects.filter(study=study, code="cad").first() or VignetteFactory(
        study=study,
        code="cad",
        title="Coronary artery disease",
        text="",
        base=base,
        change="Base vignette with coronary artery disease",
    )
    options = [
        Option.objects.get_or_create(
            study=study, code=code, defaults={"name": name, "short": name, "group": Option.Group.ADD, "position": i}
        )[0]
        for i, (code, name) in enumerate([("tms", "TMS"), ("ect", "ECT"), ("lithium", "Lithium")])
    ]
    round_ = RoundFactory(study=study, number=number, status=status)
    specs = [
        ("likert", Item.Type.LIKERT, base, {}),
        ("categorical", Item.Type.CATEGORICAL, base, {"scale_min": None, "scale_max": None}),
        ("top", Item.Type.TOP_K, variation, {"max_choices": 2, "scale_min": None, "scale_max": None}),
        ("avoid", Item.Type.NOT_RECOMMENDED, variation, {"required": False, "scale_min": None, "scale_max": None}),
        ("rank", Item.Type.RANKING, variation, {"scale_min": None, "scale_max": None}),
        ("comment", Item.Type.COMMENT, variation, {"required": False, "scale_min": None, "scale_max": None}),
    ]
    for position, (code, type_, vignette, extra) in enumerate(specs):
        item = ItemFactory(
            round=round_, code=code, type=type_, vignette=vignette, position=position, text=f"Question {code}", **extra
        )
        if type_ not in (Item.Type.LIKERT, Item.Type.CATEGORICAL, Item.Type.COMMENT):
            for i, option in enumerate(options):
                ItemOption.objects.create(item=item, option=option, position=i)
    return round_


def matrix_round(
    study: Study, *, vignettes: int, options: int, number: int = 1, status: str = Round.Status.OPEN
) -> Round:
    """The Mayo consensus matrix: per vignette a Likert item per option, a not-recommended item and a comment."""
    study_options = Option.objects.bulk_create(
        Option(study=study, code=f"o{number}-{i}", name=f"Option {i}", short=f"O{i}", group="add", position=i)
        for i in range(options)
    )
    round_ = RoundFactory(study=study, number=number, status=status)
    items, links = [], []
    for v in range(vignettes):
        vignette = VignetteFactory(study=study, code=f"v{number}-{v}", title=f"Vignette {v}")
        for i, option in enumerate(study_options):
            items.append(
                Item(
                    round=round_,
                    code=f"v{v}-o{i}",
                    type=Item.Type.LIKERT,
                    vignette=vignette,
                    scale_min=1,
                    scale_max=9,
                    text=f"{option.name} would be my main choice for vignette {v}.",
                )
            )
        kinds = [("not-recommended", Item.Type.NOT_RECOMMENDED), ("comment", Item.Type.COMMENT)]
        extra = [Item(round=round_, code=f"v{v}:{k}", type=t, vignette=vignette, required=False) for k, t in kinds]
        items += extra
        links += [(extra[0], option) for option in study_options]
    for position, item in enumerate(items):
        item.position = position
    Item.objects.bulk_create(items)
    ItemOption.objects.bulk_create(
        ItemOption(item=item, option=option, position=i % options) for i, (item, option) in enumerate(links)
    )
    return round_


def allow_study_creation(user):
    """What the operator does for an account that may create studies: adds it to the group."""
    user.groups.add(study_creators_group())
    return user


def sign_in(client, username: str, password: str) -> bool:
    """Signs in through the login page, as a person does (and as django-axes needs:
    `client.login` authenticates without a request, which axes refuses)."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


def vote_url(round_):
    return reverse("surveys:vote", kwargs={"slug": round_.study.slug, "number": round_.number})


def items_by_code(round_):
    return {item.code: item for item in round_.items.prefetch_related("item_options")}


def option_ids(item):
    return [link.option_id for link in item.item_options.order_by("position")]


def full_answers(round_, action="submit"):
    """A POST that answers every item of `round_with_every_item_type`."""
    items = items_by_code(round_)
    ranks = {f"item-{items['rank'].pk}-{option}": str(i + 1) for i, option in enumerate(option_ids(items["rank"]))}
    return {
        f"item-{items['likert'].pk}": "8",
        f"item-{items['categorical'].pk}": "4",
        f"item-{items['top'].pk}": [str(o) for o in option_ids(items["top"])[:2]],
        f"item-{items['avoid'].pk}": [str(option_ids(items["avoid"])[2])],
        **ranks,
        f"item-{items['comment'].pk}": "ECT early, if she agrees.",
        "action": action,
    }


def ballot_for(round_, user, status: str, answers=()) -> None:
    """The user's ballot in the open round, through the voting service: a draft, or submitted."""
    from surveys.models import Ballot
    from surveys.services.voting import answers_save, answers_submit

    membership = Membership.objects.get(study=round_.study, user=user)
    write = answers_submit if status == Ballot.Status.SUBMITTED else answers_save
    write(round=round_, membership=membership, answers=list(answers))


def count(round_) -> None:
    """Closes the open round through the service, which counts its submitted ballots."""
    from surveys.services.rounds import round_close

    round_close(round=round_)
    round_.refresh_from_db()


def pseudonym_of(study, user):
    """The user's participant in the study, found through the keyed link as the platform finds it."""
    from surveys.models import Participant
    from surveys.pseudonyms import participant_link_hash

    return Participant.objects.get(study=study, link_hash=participant_link_hash(study_id=study.pk, user_id=user.pk))


def sealed_answers(round_, user) -> dict:
    """What the user's sealed ballot of the round holds, by item code, opened with BALLOT_KEY."""
    from surveys.selectors.panelist import ballot_answers

    membership = Membership.objects.get(study=round_.study, user=user)
    codes = dict(round_.items.values_list("pk", "code"))
    return {codes[pk]: answer for pk, answer in ballot_answers(membership=membership, round=round_).items()}
