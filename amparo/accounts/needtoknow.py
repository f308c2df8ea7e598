"""Need-to-know: object-level assignments on top of roles.

A role says what *kind* of record someone works with (a hotline responder works with
intakes); need-to-know says *which* records. A member whose roles hold the kind's
"all" capability (``all_cap``, e.g. ``Cap.HOTLINE_ALL_INTAKES``) sees every record of
that kind in their network; everybody else sees only the records they own (``own``,
e.g. the intakes they took) and those assigned to them by an :class:`Assignment`
that is neither expired nor revoked.

This is the mechanism later apps use (the cases issue: a case is assigned to its
attorney, accompanier and caseworker). To put a kind of record under it:

1. give its getter the rule (accounts/access.py), and list it through ``visible``::

       get_intake_for_user = getter(Intake, capability=Cap.HOTLINE,
                                    all_cap=Cap.HOTLINE_ALL_INTAKES, own="responder")
       intakes = visible(request, Intake, all_cap=Cap.HOTLINE_ALL_INTAKES, own="responder")

2. let holders of ``all_cap`` hand a record out with :func:`assign` and take it back
   with :func:`unassign` (both audited: the grant and the revocation, never the reason,
   which is sealed).

A record someone may not see answers 404, exactly like another network's record: the
page never confirms that it exists. ``kind`` is the model label (``"hotline.intake"``),
the string the audit log already uses for its targets, so an assignment means the same
thing in every copy of the database (content-type ids differ between databases).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import Assignment, AuditEvent, Membership, Network, User


def kind_of(obj_or_model: models.Model | type[models.Model]) -> str:
    """The label an assignment stores for a record: ``"hotline.intake"``."""
    return obj_or_model._meta.label_lower


def live(now: datetime | None = None) -> Q:
    """Assignments that still give access: not revoked, not expired."""
    now = now or timezone.now()
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _network_of(obj: models.Model) -> Network:
    network = getattr(obj, "network", None)
    if network is None:
        raise ValueError("need-to-know applies to records that belong to a network")
    return network


def assign(
    *,
    obj: models.Model,
    user: User,
    granted_by: User | Any,
    reason: str = "",
    expires_at: datetime | None = None,
) -> Assignment:
    """Let ``user`` open ``obj`` (until ``expires_at``, if given). Renewing an open
    assignment replaces it (the old one is revoked) so each grant has its own row.

    Raises ValidationError (translated) when ``user`` is not an active member of the
    record's network or ``expires_at`` is already past. The caller checks that
    ``granted_by`` may hand the record out (it holds the kind's ``all_cap``)."""
    network = _network_of(obj)
    now = timezone.now()
    if not Membership.objects.filter(
        user=user, network=network, is_active=True, user__is_active=True
    ).exists():
        raise ValidationError(_("This person is not an active member of the network."))
    if expires_at is not None and expires_at <= now:
        raise ValidationError(_("Choose a time in the future."))
    kind = kind_of(obj)
    for _attempt in range(2):  # a concurrent grant of the same record: the second retries
        try:
            with transaction.atomic():
                renewed = Assignment.objects.filter(
                    user=user, kind=kind, object_id=obj.pk, revoked_at__isnull=True
                ).update(revoked_at=now, revoked_by=granted_by)
                assignment = Assignment.objects.create(
                    network=network,
                    user=user,
                    kind=kind,
                    object_id=obj.pk,
                    granted_by=granted_by,
                    reason=reason.strip()[:500],
                    expires_at=expires_at,
                )
                audit_record(
                    action=AuditEvent.Action.CREATE,
                    actor=granted_by,
                    network=network,
                    obj=assignment,
                    fields=["user", "kind", "object_id", "expires_at"]
                    + (["reason"] if reason.strip() else []),
                    note=f"grant {kind}:{obj.pk} user={user.pk}"
                    + (f" renews={renewed}" if renewed else ""),
                )
                return assignment
        except IntegrityError:
            continue
    raise ValidationError(_("Someone changed this assignment at the same time. Try again."))


def unassign(*, obj: models.Model, user: User, by: User | Any) -> int:
    """Take ``obj`` back from ``user`` now. Returns how many open assignments ended (0
    when there was none); each is audited."""
    kind = kind_of(obj)
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Assignment.objects.filter(
                user=user, kind=kind, object_id=obj.pk, revoked_at__isnull=True
            ).values_list("pk", flat=True)
        )
        ended = Assignment.objects.filter(pk__in=ids, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=by
        )
        for assignment in Assignment.objects.filter(pk__in=ids):
            audit_record(
                action=AuditEvent.Action.UPDATE,
                actor=by,
                network=assignment.network,
                obj=assignment,
                fields=["revoked_at"],
                note=f"revoke {kind}:{obj.pk} user={user.pk}",
            )
    return ended


def is_assigned(user: User | Any, obj: models.Model, *, now: datetime | None = None) -> bool:
    """True when a live assignment lets ``user`` open ``obj`` (roles aside)."""
    if not getattr(user, "is_authenticated", False):
        return False
    network_id = getattr(obj, "network_id", None)
    if network_id is None:
        return False
    return (
        Assignment.objects.filter(
            user=user, kind=kind_of(obj), object_id=obj.pk, network_id=network_id
        )
        .filter(live(now))
        .exists()
    )


def assigned_ids(user: User, model: type[models.Model], network: Network) -> Any:
    """A subquery of the ids of ``model`` records assigned to ``user`` right now."""
    return (
        Assignment.objects.filter(user=user, kind=kind_of(model), network=network)
        .filter(live())
        .values("object_id")
    )


def open_assignments(obj: models.Model) -> models.QuerySet[Assignment]:
    """Who holds ``obj`` now (for the page of a holder of ``all_cap``)."""
    return (
        Assignment.objects.filter(
            kind=kind_of(obj), object_id=obj.pk, network_id=getattr(obj, "network_id", None)
        )
        .filter(live())
        .select_related("user")
        .order_by("created_at", "id")
    )
