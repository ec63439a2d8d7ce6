"""A study from scratch, and its settings: scale, consensus rule, not-recommended threshold; who may create one."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext as _

from surveys.models import AuditEvent, Membership, ProtocolDeviation, Round, Study
from surveys.selectors.facilitator import study_has_ratings
from surveys.services import ServiceError
from surveys.services.audit import audit_record
from surveys.signals import answers_counted


def study_creators_group() -> Group:
    """The group that carries the permission to create studies; made, with it, where missing.

    Run after every migrate (surveys.apps), so a database that lost it (a
    flush, a restore of users alone) gets it back.
    """
    app_label, codename = Study.CREATE_PERMISSION.split(".")
    group, _created = Group.objects.get_or_create(name=Study.CREATORS_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


@transaction.atomic
def study_create(
    *,
    slug: str,
    title: str,
    description: str = "",
    scale_min: int = 1,
    scale_neutral: int = 5,
    scale_max: int = 9,
    consensus_rule: str = "mayo",
    consensus_params: dict | None = None,
    not_recommended_threshold=50,
    minimum_n: int = 3,
    time_zone: str = "UTC",
    by,
) -> Study:
    """An empty study with its scale, rule and threshold; its creator becomes its facilitator.

    Vignettes, options and rounds follow on the study's own pages.
    """
    if Study.objects.filter(slug=slug).exists():
        raise ServiceError(_("A study %(slug)s already exists.") % {"slug": slug}, field="slug")
    study = Study.objects.create(
        slug=slug,
        title=title,
        description=description,
        scale_min=scale_min,
        scale_neutral=scale_neutral,
        scale_max=scale_max,
        consensus_rule=consensus_rule,
        consensus_params=consensus_params or {},
        not_recommended_threshold=not_recommended_threshold,
        minimum_n=minimum_n,
        time_zone=time_zone,
    )
    Membership.objects.create(study=study, user=by, role=Membership.Role.FACILITATOR)
    audit_record(study=study, by=by, action=AuditEvent.Action.CREATE, summary="Created the study", detail={})
    return study


@transaction.atomic
def study_settings_update(
    *,
    study: Study,
    title: str,
    description: str,
    scale_min: int,
    scale_neutral: int,
    scale_max: int,
    consensus_rule: str,
    consensus_params: dict,
    not_recommended_threshold,
    minimum_n: int,
    time_zone: str | None = None,
    deviation_reason: str = "",
    by=None,
) -> Study:
    """Saves the study's settings; the scale stays fixed once anyone has rated on it.

    Once the protocol is locked (round 1 has opened), a change of it is a
    protocol deviation: it needs a reason, and is recorded with each value
    before and after. Rounds whose results are released keep the protocol
    they were shown under (Round.protocol).
    """
    study = Study.objects.select_for_update().get(pk=study.pk)
    values = {
        "title": title,
        "description": description,
        "scale_min": scale_min,
        "scale_neutral": scale_neutral,
        "scale_max": scale_max,
        "consensus_rule": consensus_rule,
        "consensus_params": consensus_params,
        "not_recommended_threshold": not_recommended_threshold,
        "minimum_n": minimum_n,
        "time_zone": time_zone or study.time_zone,
    }
    rescaled = any(values[name] != getattr(study, name) for name in Study.SCALE_FIELDS)
    if rescaled and study_has_ratings(study=study):
        raise ServiceError(_("The panel has already rated on this scale; it cannot change."))
    changed = [name for name in Study.SETTINGS_FIELDS if values[name] != getattr(study, name)]
    deviated = [name for name in changed if name in Study.PROTOCOL_FIELDS]
    deviation_reason = deviation_reason.strip()
    if deviated and study.protocol_locked_at is not None and not deviation_reason:
        raise ServiceError(
            _("The protocol was locked when round 1 opened: changing it is a protocol deviation. Give its reason."),
            field="deviation_reason",
        )
    before = study.protocol()
    for name in changed:
        setattr(study, name, values[name])
    study.save()
    if deviated and study.protocol_locked_at is not None:
        after = study.protocol()
        deviation = ProtocolDeviation.objects.create(
            study=study,
            made_by=by,
            reason=deviation_reason,
            changes={name: [before[name], after[name]] for name in deviated},
        )
        audit_record(
            study=study,
            by=by,
            action=AuditEvent.Action.EDIT,
            summary=f"Protocol deviation: {deviation.describe()}; reason: {deviation_reason}",
            detail={"deviation": deviation.pk, "changes": deviation.changes, "reason": deviation_reason},
        )
    if deviated:
        # The closed rounds not yet released are judged under the new protocol; a released one keeps its own.
        unreleased = (
            study.rounds.filter(status=Round.Status.CLOSED, results_released_at__isnull=True)
            .order_by("number")
            .values_list("number", flat=True)
            .first()
        )
        if unreleased is not None:
            answers_counted.send(sender=Study, study=study, from_number=unreleased)
    if changed:
        audit_record(
            study=study,
            by=by,
            action=AuditEvent.Action.EDIT,
            summary="Changed the study's " + ", ".join(name.replace("_", " ") for name in changed),
            detail={"fields": changed},
        )
    return study
