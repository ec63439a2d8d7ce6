"""The facilitator's study pages take a fixed number of queries, however large the panel, history or study.

Each test loads a page, grows what it lists, loads it again, and expects the
same count, pinned with the queries it stands for.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import AuditEvent, Item, ItemOption, Round
from surveys.services.builder import matrix_add
from tests.analysis.panels import close, panel, rate, select, submit
from tests.factories import InvitationFactory, MembershipFactory, UserFactory, VignetteFactory, allow_study_creation
from vignettes.models import Option

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def pinned(client, url: str, grow, expected: int, django_assert_max_num_queries) -> None:
    before = queries(client, url)
    grow()
    with django_assert_max_num_queries(expected):
        assert client.get(url).status_code == 200
    assert queries(client, url) == before == expected


def study_url(name: str, study, **kwargs) -> str:
    return reverse(f"surveys:{name}", kwargs={"slug": study.slug, **kwargs})


def more_options(study, count: int) -> None:
    Option.objects.bulk_create(
        Option(study=study, code=f"extra-{i}", name=f"Extra {i}", short=f"X{i}", group="add", position=20 + i)
        for i in range(count)
    )


def test_the_history_page_is_constant_in_the_number_of_events(mayo_facilitator_client, mayo_study, django_assert_max_num_queries):
    def grow():
        actors = UserFactory.create_batch(20)
        AuditEvent.objects.bulk_create(
            AuditEvent(study=mayo_study, actor=actors[i % 20], action="edit", summary=f"Step {i}") for i in range(300)
        )

    # Expect 4: session, user, the facilitator's membership with the study, events with their actors.
    pinned(mayo_facilitator_client, study_url("history", mayo_study), grow, 4, django_assert_max_num_queries)


def test_the_invitations_page_is_constant_in_the_number_of_invitations(
    mayo_facilitator_client, mayo_study, django_assert_max_num_queries
):
    # Expect 5: session, user, the facilitator's membership with the study, the members, the invitations.
    pinned(
        mayo_facilitator_client,
        study_url("study_invitations", mayo_study),
        lambda: InvitationFactory.create_batch(60, study=mayo_study),
        5,
        django_assert_max_num_queries,
    )


def test_the_content_page_is_constant_in_the_number_of_vignettes_and_options(
    mayo_facilitator_client, mayo_study, django_assert_max_num_queries
):
    def grow():
        base = mayo_study.vignettes.get(code="base")
        for i in range(30):
            VignetteFactory(
                study=mayo_study, code=f"var-{i}", text="", base=base, change=f"Change {i}", position=10 + i
            )
        more_options(mayo_study, 30)

    # Expect 6: session, user, the facilitator's membership with the study,
    # vignettes with their bases, the base vignettes offered to a new
    # variation, options.
    url = reverse("vignettes:study_content", kwargs={"slug": mayo_study.slug})
    pinned(mayo_facilitator_client, url, grow, 6, django_assert_max_num_queries)


def test_the_settings_page_is_constant_in_the_size_of_the_panel(mayo_facilitator_client, mayo_study, django_assert_max_num_queries):
    round_ = mayo_study.rounds.get()

    # Expect 4: session, user, the facilitator's membership with the study,
    # whether anyone has rated yet (which fixes the scale).
    pinned(
        mayo_facilitator_client,
        study_url("study_settings", mayo_study),
        lambda: rate(round_, {"base-main": [8] * 80, "cad-main": [7] * 80}),
        4,
        django_assert_max_num_queries,
    )


def test_the_study_file_is_constant_in_the_number_of_items(mayo_facilitator_client, mayo_study, django_assert_max_num_queries):
    round_ = mayo_study.rounds.get()

    def grow():
        matrix_add(round=round_, vignettes=list(mayo_study.vignettes.all()), options=list(mayo_study.options.all()),
                   item_type=Item.Type.LIKERT)
        more_options(mayo_study, 20)

    # Expect 8: session, user, the facilitator's membership with the study,
    # the latest round, its statements with their vignettes, their options,
    # vignettes with their bases, options.
    pinned(mayo_facilitator_client, study_url("study_file", mayo_study), grow, 8, django_assert_max_num_queries)


def test_the_draft_rounds_page_is_constant_in_the_number_of_items(
    mayo_facilitator_client, mayo_study, django_assert_max_num_queries
):
    round_ = mayo_study.rounds.get()

    def grow():
        matrix_add(round=round_, vignettes=list(mayo_study.vignettes.all()), options=list(mayo_study.options.all()),
                   item_type=Item.Type.CATEGORICAL)
        MembershipFactory.create_batch(40, study=mayo_study)

    # Expect 10: session, user, round with study (the facilitator check), the
    # panel with each member's completion, items with their vignettes, their
    # lineage, and vignettes and options twice (the statement and the matrix
    # forms each list them).
    pinned(mayo_facilitator_client, study_url("round_manage", mayo_study, number=1), grow, 10, django_assert_max_num_queries)


def test_the_item_page_is_constant_in_the_number_of_options(mayo_facilitator_client, mayo_study, django_assert_max_num_queries):
    item = mayo_study.rounds.get().items.get(code="base:not-recommended")

    def grow():
        more_options(mayo_study, 30)
        ItemOption.objects.bulk_create(
            ItemOption(item=item, option=option, position=20 + i)
            for i, option in enumerate(mayo_study.options.filter(code__startswith="extra-"))
        )

    # Expect 7: session, user, round with study (the facilitator check), the
    # item with its vignette, its options, its lineage, the study's options.
    url = study_url("round_item_edit", mayo_study, number=1, pk=item.pk)
    pinned(mayo_facilitator_client, url, grow, 7, django_assert_max_num_queries)


def test_the_merge_page_is_constant_in_the_number_of_options(mayo_facilitator_client, mayo_study, django_assert_max_num_queries):
    # Expect 4: session, user, round with study (the facilitator check), the study's options.
    pinned(
        mayo_facilitator_client,
        study_url("round_options_merge", mayo_study, number=1),
        lambda: more_options(mayo_study, 30),
        4,
        django_assert_max_num_queries,
    )


def test_preparing_the_next_round_is_constant_in_the_size_of_the_panel(
    mayo_facilitator_client, mayo_study, django_assert_max_num_queries
):
    round_ = mayo_study.rounds.get()
    rate(round_, {"base-main": [9, 9, 8], "cad-main": [9, 5, 9]})
    close(round_)

    def grow():
        rate(round_, {"sud-main": [9] * 80, "age70-main": [8] * 80}, submitted=False)
        submit(round_, panel(mayo_study, 80)[3:])
        close(round_)

    # Expect 12: session, user, round with study (the facilitator check),
    # items with their vignettes, their lineage; then the round's tables,
    # read once for the items table (each item's verdict, median, IQR and n)
    # and the top-choices table, empty for a consensus round: item options,
    # options, items, vignettes, the protocol of the figures stored at close
    # and the figures (ratings and chosen options counted, verdicts),
    # submissions.
    pinned(mayo_facilitator_client, study_url("round_next", mayo_study, number=1), grow, 12, django_assert_max_num_queries)


def test_drafting_statements_from_top_choices_is_constant_in_the_size_of_the_panel(
    mayo_facilitator_client, mayo_study, django_assert_max_num_queries
):
    round_ = Round.objects.create(study=mayo_study, number=2, kind=Round.Kind.DEVELOPMENT)
    close(mayo_study.rounds.get(number=1))
    matrix_add(round=round_, vignettes=list(mayo_study.vignettes.all()), options=list(mayo_study.options.all()),
               item_type=Item.Type.TOP_K, max_choices=3)
    select(round_, "base:top-k", {"P01": ["tms", "sga", "ketamine"], "P02": ["tms"]})
    submit(round_, panel(mayo_study, 2))
    close(round_)

    def grow():
        select(round_, "cad:top-k", {f"P{n:02d}": ["tms", "sri"] for n in range(1, 81)})
        submit(round_, panel(mayo_study, 80)[2:])
        close(round_)

    url = study_url("round_next", mayo_study, number=2)
    assert "or Ketamine/esketamine would be my main choice(s)" in mayo_facilitator_client.get(url).content.decode()
    # Expect 15: the 12 of a consensus round (above), then the study's
    # vignettes and options for the drafts, and the options each drafted
    # statement may name.
    pinned(mayo_facilitator_client, url, grow, 15, django_assert_max_num_queries)


def test_the_empty_study_page_needs_no_study_query(client, django_assert_max_num_queries):
    client.force_login(allow_study_creation(UserFactory()))
    # Expect 4: session, user, and the account's permissions and its groups' (may it create studies?).
    with django_assert_max_num_queries(4):
        assert client.get(reverse("surveys:study_create")).status_code == 200
