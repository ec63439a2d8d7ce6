import factory
from django.contrib.auth import get_user_model

from surveys.models import Item, Membership, Round, Study
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
