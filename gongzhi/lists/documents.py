"""The documents a person or the community downloads: read under the policy, rendered by `pdf`, and audited,
since each carries personal data out of the site."""
from django.http import HttpResponse
from django.utils import timezone

from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from gongzhi.accounts.policy import require

from . import pdf, selectors
from .capability import REGISTRATION_VIEW
from .models import RegistrationKind


def certificate_pdf(*, user, request=None):
    """The user's certificate of volunteer service over all their ledger lines."""
    lines = selectors.certificate_lines(user)
    data = pdf.certificate(name=str(user), lines=lines, issued_on=timezone.localdate())
    audit(AuditAction.EXPORT, user=user, object_type="lists.ledgerentry", object_id=str(user.pk),
          object_repr="志愿服务证明", detail="certificate", request=request,
          changes={"lines": [line["id"] for line in lines]})
    return data


def pdf_response(data, filename):
    """A PDF download the browser and any proxy keep nowhere: it carries personal data."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def rating_pdf(*, user, rating, request=None):
    """The one page a yearly rating is sent back on, to the unit's (or member's) party organisation; whoever may
    read the registration may have it."""
    reg = rating.registration
    require(user, REGISTRATION_VIEW, reg)
    summary = selectors.rating_summary(rating)
    unit = reg.organisation.name if reg.kind == RegistrationKind.UNIT else str(reg.user)
    data = pdf.rating_sheet(
        unit=unit, party_organisation=reg.party_branch or unit, community=reg.compound.community.name,
        year=rating.year, grade=rating.get_grade_display(), comment=rating.comment, hours=summary["hours"],
        services=summary["services"], rated_by=str(rating.rated_by or ""),
        rated_on=timezone.localtime(rating.rated_at).date())
    audit(AuditAction.EXPORT, user=user, obj=reg, detail="rating_sheet", request=request,
          changes={"year": rating.year})
    return data
