"""A vote sent from an expired session, kept sealed in the session until its panelist signs in again.

When a panelist presses Submit (or Save draft) after their session has
ended, the page's input would be lost on the way to the sign-in page. It
waits instead in the new, anonymous session, sealed under BALLOT_KEY
(surveys.ballot.seal_input): signing in keeps that session's data, and the
session table then names the person, so the answers must not lie there in
the clear (SPEC 5). The voting page takes it out once, and the vote is
written as if it had just been sent; a second sign-in finds nothing.
"""

import base64

from django.http import HttpRequest, QueryDict

from surveys import ballot

SESSION_KEY = "surveys_pending_vote"


def pending_keep(request: HttpRequest) -> None:
    """Seals the POST of a voting page in the session, for that page, in place of any earlier one."""
    fields = {key: request.POST.getlist(key) for key in request.POST if key != "csrfmiddlewaretoken"}
    sealed = ballot.seal_input(fields=fields, page=request.path)
    request.session[SESSION_KEY] = {"page": request.path, "sealed": base64.b64encode(sealed).decode()}


def pending_take(request: HttpRequest) -> QueryDict | None:
    """The POST kept for this page, removed from the session; None if there is none (or it does not open)."""
    kept = request.session.get(SESSION_KEY)
    if not kept or kept.get("page") != request.path:
        return None
    del request.session[SESSION_KEY]
    try:
        fields = ballot.unseal_input(sealed=base64.b64decode(kept["sealed"]), page=request.path)
    except (ballot.BallotUnreadable, ValueError):
        return None
    data = QueryDict(mutable=True)
    for key, values in fields.items():
        data.setlist(key, values)
    return data
