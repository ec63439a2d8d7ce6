"""A first mapping for an export: each question matched to the study's wording, to be confirmed by the analyst."""

import difflib
import re

from analysis.files.foreign.export import MSFORMS, Export
from analysis.files.foreign.mapping import IGNORE, NOT_RECOMMENDED, Mapping, StudyTerms, option_code, scale_point

# Below this similarity a question is proposed as ignored rather than guessed.
CUTOFF = 0.6
_NUMBER = re.compile(r"\d+")


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.casefold(), b.casefold()).ratio()


def _score(question: str, code: str, text: str, terms: StudyTerms, not_recommended: bool) -> float:
    """How well a question matches a statement, or a vignette's not-recommended question.

    Every vignette's not-recommended question may read the same, so a
    question naming a vignette's title is that vignette's, the longest title
    named winning ("Base clinical vignette with ..." over "Base clinical vignette").
    """
    title = terms.vignettes.get(code, "") if not_recommended else ""
    if title and title.casefold() in question.casefold():
        return 1 + len(title) / 1000
    return _similarity(question, text)


def _multiple(export: Export, key: str) -> bool:
    question = export.question(key)
    return question.checkbox or any(";" in str(row.answers.get(key, "")) for row in export.rows)


def propose(export: Export, terms: StudyTerms) -> Mapping:
    """Questions matched to statements or vignettes, events to the rounds they number, and every label
    with no scale point listed empty (~) for the analyst to fill."""
    mapping = Mapping(tool=export.tool)
    for question in export.questions:
        multiple = _multiple(export, question.key)
        pool = terms.not_recommended if multiple else terms.statements
        scored = sorted(
            ((_score(question.text, code, text, terms, multiple), code) for code, text in pool.items()), reverse=True
        )
        if question.identifying:
            mapping.columns[question.key] = IGNORE
        elif scored and scored[0][0] >= CUTOFF:
            code = scored[0][1]
            mapping.columns[question.key] = {NOT_RECOMMENDED: code} if pool is terms.not_recommended else code
        else:
            mapping.columns[question.key] = IGNORE
    if export.events:
        mapping.events = {e: int(m.group()) if (m := _NUMBER.search(e)) else terms.last_round for e in export.events}
    else:
        mapping.round = terms.last_round
    kinds = [k for k in (("email", "name") if export.tool == MSFORMS else ("record",)) if any(k in r.identities for r in export.rows)]
    mapping.respondent = kinds[0] if kinds else "none"
    names = {n.casefold() for pair in terms.options.values() for n in pair}
    for question in export.questions:
        target = mapping.columns[question.key]
        for row in export.rows:
            answer = row.answers.get(question.key, "")
            if isinstance(target, str) and target != IGNORE and answer and scale_point(answer, mapping, question.choices) is None:
                mapping.labels[answer] = None
            elif isinstance(target, dict):
                choices = answer if isinstance(answer, list) else [c.strip() for c in answer.split(";") if c.strip()]
                for choice in choices:
                    if choice not in mapping.options and option_code(choice, mapping, terms) is None:
                        best = difflib.get_close_matches(choice.casefold(), names, n=1, cutoff=CUTOFF)
                        mapping.options[choice] = next(
                            (c for c, ns in terms.options.items() if best and best[0] in (n.casefold() for n in ns)), None
                        )
    return mapping
