"""The documents a person or the community downloads: read under the policy, rendered by `pdf`, and audited,
since each carries personal data out of the site."""
from django.http import HttpResponse
from django.utils import timezone

from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from . import pdf, selectors


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
