"""A three-round Mayo study whose statements reach consensus in different rounds, worked by hand.

Ten panelists P01-P10 submit round 1; P10 skips round 2; P09 skips round 3,
where P10 comes back. Under the Mayo rule (every rating above 5, mean above 7):

| statement            | round 1        | round 2                     | round 3          | final               |
| -------------------- | -------------- | --------------------------- | ---------------- | ------------------- |
| base-main            | 8 x 10: yes    | not asked                   |                  | yes, round 1, held  |
| sud-main             | mean 6.6: no   | mean 7.56: yes              | a 5: no (lost)   | no, first 2, lost   |
| cad-main             | 5 x 10: no     | 6 x 9: no                   | 9 x 9: yes       | yes, round 3        |
| age70-main           | 6 x 10: no     | reworded as age70-main-v2,  |                  | yes, round 2, held  |
|                      |                | 9 x 9: yes                  |                  |                     |
| metabolic-main       | 8 x 10: yes    | merged with seizures-main   |                  |                     |
| seizures-main        | 4 x 10: no     | into metabolic-seizures,    | not asked        | yes, first 1, held  |
|                      |                | 8 x 9: yes                  |                  |                     |
| sensitivity-main     | 5 x 10: no     | dropped                     |                  | no, never           |

Not recommended: the base vignette is asked in round 1 only (MAO-I 6 of 10,
60%; TCA 4 of 10, 40%); the CAD variation in rounds 1 (ECT 2 of 10) and 3
(ECT 5 of 9, 55.6%).
"""

from __future__ import annotations

from surveys.models import Item, ItemLink, ItemOption, Round
from tests.analysis.panels import close, comment, not_recommend, panel, rate, submit

ROUND_1 = {
    "base-main": [8] * 10,
    "sud-main": [6, 6, 6, 6, 7, 7, 7, 7, 7, 7],
    "cad-main": [5] * 10,
    "age70-main": [6] * 10,
    "metabolic-main": [8] * 10,
    "seizures-main": [4] * 10,
    "sensitivity-main": [5] * 10,
}
# P10 skips round 2: nine ratings each.
ROUND_2 = {
    "sud-main": [7, 7, 7, 7, 8, 8, 8, 8, 8],
    "cad-main": [6] * 9,
    "age70-main-v2": [9] * 9,
    "metabolic-seizures": [8] * 9,
}
# P09 skips round 3 (None), P10 is back.
ROUND_3 = {
    "sud-main": [5, 8, 8, 8, 8, 8, 8, 8, None, 8],
    "cad-main": [9, 9, 9, 9, 9, 9, 9, 9, None, 9],
}


def _next_round(previous: Round, continued: dict[str, tuple[str, list[str], str]]) -> Round:
    """Round N+1 asking {new code: (operation, [codes of round N it continues], text)}."""
    following = Round.objects.create(study=previous.study, number=previous.number + 1, kind=previous.kind)
    before = {item.code: item for item in previous.items.prefetch_related("item_options")}
    for position, (code, (operation, parents, text)) in enumerate(continued.items()):
        first = before[parents[0]]
        item = Item.objects.create(
            round=following, code=code, type=first.type, text=text or first.text, vignette=first.vignette,
            scale_min=first.scale_min, scale_max=first.scale_max, position=position,
        )
        options = {link.option_id for parent in parents for link in before[parent].item_options.all()}
        ItemOption.objects.bulk_create(ItemOption(item=item, option_id=o, position=i) for i, o in enumerate(sorted(options)))
        ItemLink.objects.bulk_create(ItemLink(parent=before[p], child=item, operation=operation) for p in parents)
    return following


def three_rounds(study) -> list[Round]:
    first = study.rounds.get(number=1)
    rate(first, ROUND_1)
    not_recommend(first, "base", {"maoi": 6, "tca": 4})
    not_recommend(first, "cad", {"ect": 2})
    comment(first, "base:comment", {"P01": "ECT first if she is suicidal", "P02": "TMS, given the cost"})
    close(first)

    carried, reworded, merged = ItemLink.Operation.CARRIED, ItemLink.Operation.REWORDED, ItemLink.Operation.MERGED
    second = _next_round(first, {
        "sud-main": (carried, ["sud-main"], ""),
        "cad-main": (carried, ["cad-main"], ""),
        "age70-main-v2": (reworded, ["age70-main"], "ECT or TMS would be my main choice(s) for this older patient."),
        "metabolic-seizures": (merged, ["metabolic-main", "seizures-main"],
                               "TMS would be my main choice for this patient with metabolic disease or seizures."),
    })
    rate(second, ROUND_2)
    close(second)

    third = _next_round(second, {
        "sud-main": (carried, ["sud-main"], ""),
        "cad-main": (carried, ["cad-main"], ""),
        "cad:not-recommended": (carried, ["cad-main"], "Options you would not recommend"),
    })
    Item.objects.filter(round=third, code="cad:not-recommended").update(type=Item.Type.NOT_RECOMMENDED,
                                                                        scale_min=None, scale_max=None)
    ItemLink.objects.filter(child__round=third, child__code="cad:not-recommended").delete()
    ItemOption.objects.filter(item__round=third, item__code="cad:not-recommended").delete()
    third.items.get(code="cad:not-recommended").options.set(study.options.all())
    rate(third, ROUND_3, submitted=False)
    not_recommend(third, "cad", {"ect": 5})
    people = panel(study, 10)
    submit(third, [p for p in people if p.label != "P09"])
    close(third)
    return [first, second, third]
