"""Outgoing webhooks on the wire: which targets are allowed, the signature, one POST (the payload is the
event's source's: core.timeline.Source.payload).

A receiver checks a delivery like this (Python):

    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, request.headers["X-Gongzhi-Signature"])

where `timestamp` is the X-Gongzhi-Timestamp header (Unix seconds; reject old
ones to stop replays) and `body` the raw request body.

Targets: http(s) only, no credentials in the URL, and never an address
inside our own network (private, link-local, reserved…), checked when the
endpoint is saved and again before every attempt; loopback only when
settings.WEBHOOKS_ALLOW_LOOPBACK (development and tests). Redirects are not
followed, and environment proxies are not used, so the check holds for the
address actually connected to (short of DNS changing between the check and
the connection).
"""
import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 5
URL_MAX = 500


def allow_loopback():
    return getattr(settings, "WEBHOOKS_ALLOW_LOOPBACK", settings.DEBUG)


def _addresses(host):
    """The IP addresses a host name stands for; [] when it does not resolve."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if host == "localhost" or host.endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1")]
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def address_allowed(ip):
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback()
    return ip.is_global and not ip.is_multicast


def check_url(url, *, resolve=True):
    """The cleaned URL, or ValidationError({"url": …}) naming what is wrong with it."""
    url = (url or "").strip()
    if not url:
        raise ValidationError({"url": _("请填写接收地址")})
    if len(url) > URL_MAX:
        raise ValidationError({"url": _("接收地址不能超过%d个字符") % URL_MAX})
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError({"url": _("接收地址格式不正确")})
    if parts.scheme not in ("http", "https"):
        raise ValidationError({"url": _("接收地址只支持 http:// 或 https://")})
    if not parts.hostname:
        raise ValidationError({"url": _("接收地址缺少主机名")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("接收地址中不能包含用户名或密码")})
    if port == 0:
        raise ValidationError({"url": _("接收地址端口无效")})
    addresses = _addresses(parts.hostname) if resolve else []
    if any(not address_allowed(ip) for ip in addresses):
        raise ValidationError({"url": _("接收地址不能指向内网、本机或保留地址")})
    return url


def encode(payload):
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret, timestamp, body):
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is answered as an error: a redirect could lead anywhere


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def post(url, *, secret, body, action, delivery_id, timeout=TIMEOUT_SECONDS):
    """One attempt. Returns (ok, status code or None, error text)."""
    host = urlsplit(url).hostname or ""
    addresses = _addresses(host)
    if not addresses:
        return False, None, _("无法解析主机名 %s") % host
    if any(not address_allowed(ip) for ip in addresses):
        return False, None, _("接收地址指向内网、本机或保留地址，已拒绝")
    if not secret:
        return False, None, _("签名密钥无法读取（数据密钥已更换？），请重新创建接收端")
    timestamp = str(int(time.time()))
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Gongzhi-Webhooks/1",
        "X-Gongzhi-Event": action,
        "X-Gongzhi-Delivery": str(delivery_id),
        "X-Gongzhi-Timestamp": timestamp,
        "X-Gongzhi-Signature": signature(secret, timestamp, body),
    })
    try:
        with _opener.open(request, timeout=timeout) as response:
            code = response.status
    except urllib.error.HTTPError as e:
        e.close()
        return False, e.code, _("接收端返回 HTTP %d") % e.code
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        return False, None, str(reason)[:500] or e.__class__.__name__
    if 200 <= code < 300:
        return True, code, ""
    return False, code, _("接收端返回 HTTP %d") % code
