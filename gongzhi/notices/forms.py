"""The editor's form: what a notice says, where it is put up, until when it stands."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BODY_MAX, TITLE_MAX, Kind


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=TITLE_MAX,
                            error_messages={"required": _("请填写标题"), "max_length": _("标题不能超过 100 个字")})
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices)
    body = forms.CharField(label=_("正文"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 10}),
                           help_text=_("纯文本；空一行分段。"),
                           error_messages={"required": _("请填写正文"), "max_length": _("正文不能超过 5000 个字")})
    reach = forms.MultipleChoiceField(label=_("发布范围"), widget=forms.CheckboxSelectMultiple,
                                      error_messages={"required": _("请选择公告的发布范围（社区或小区）"),
                                                      "invalid_choice": _("发布范围无效或不在您的管辖范围内")})
    expires_at = forms.DateTimeField(label=_("有效期至（可不填）"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
                                     error_messages={"invalid": _("有效期格式无效")})
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, reach_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reach"].choices = [(key, label) for key, label, _node in reach_choices]
