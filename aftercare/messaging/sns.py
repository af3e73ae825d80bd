"""Amazon SNS message signatures: is this notification really from Amazon SNS?

Amazon SES hands received mail to SNS, and SNS posts it to our address signed with a
certificate of its own (AWS, "Verifying the signatures of Amazon SNS messages"). Anyone can
post a body of that shape, so nothing is believed until:

1. The certificate's address (``SigningCertURL``) is ``https`` on an SNS host,
   ``sns.<region>.amazonaws.com`` (``.amazonaws.com.cn`` in China), and names a ``.pem``
   file. Any other address is refused *before* anything is fetched: a forger would point it
   at a certificate of their own.
2. The certificate is fetched once per address and kept (SNS rotates it rarely), and must be
   valid at this moment.
3. The string SNS signed is rebuilt from the message's own fields, in AWS's fixed order for
   its ``Type``, each as ``name\\nvalue\\n``; ``Subject`` only when the message has one.
4. ``SignatureVersion`` 1 is RSA PKCS#1 v1.5 over SHA-1, version 2 the same over SHA-256;
   ``Signature`` is base64. Anything else is refused.

A ``SubscriptionConfirmation`` is confirmed by visiting its ``SubscribeURL`` — held to the same
host rule, and only after its signature checked — which is what AWS documents for HTTP(S)
endpoints and needs no AWS credentials.

Pure: no Django. "Now" and the fetching are passed in, so tests sign real-shaped bodies with
a key and certificate of their own and never reach the internet.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
FIELDS_BY_TYPE = {
    "Notification": NOTIFICATION_FIELDS,
    "SubscriptionConfirmation": CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": CONFIRMATION_FIELDS,
}
SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
FETCH_TIMEOUT_SECONDS = 5
MAX_CERTIFICATE_BYTES = 64 * 1024


class SnsSignatureError(ValueError):
    """The message is not provably from Amazon SNS; the reason says why, in words."""


class SnsUnreachable(Exception):
    """Amazon could not be asked (a timeout, a 5xx): try again later, refuse nothing."""


def check_sns_url(url: Any, *, what: str) -> str:
    """``url`` when it is an https address on an Amazon SNS host, else ``SnsSignatureError``."""
    if not isinstance(url, str) or not url:
        raise SnsSignatureError(f"no {what}")
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.port not in (None, 443):
        raise SnsSignatureError(f"the {what} is not https")
    if not SNS_HOST.match(parts.hostname or "") or parts.username or parts.password:
        raise SnsSignatureError(f"the {what} is not on an Amazon SNS host")
    return url


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    """The bytes SNS signed: the type's fields in AWS's order, ``name\\nvalue\\n`` each."""
    kind = message.get("Type")
    fields = FIELDS_BY_TYPE.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise SnsSignatureError("not an SNS message type")
    lines: list[str] = []
    for name in fields:
        value = message.get(name)
        if value is None and name == "Subject":
            continue
        if not isinstance(value, str):
            raise SnsSignatureError(f"the field {name} is missing")
        lines += [name, value]
    return ("\n".join(lines) + "\n").encode()


def verify_sns_message(
    message: Mapping[str, Any],
    *,
    certificate_for: Callable[[str], x509.Certificate],
    now: datetime,
) -> None:
    """Return when SNS signed ``message``; raise ``SnsSignatureError`` saying why not."""
    algorithm = HASHES.get(str(message.get("SignatureVersion")))
    if algorithm is None:
        raise SnsSignatureError("unknown signature version")
    url = check_sns_url(message.get("SigningCertURL"), what="signing certificate address")
    if not urlsplit(url).path.endswith(".pem"):
        raise SnsSignatureError("the signing certificate address is not a certificate")
    try:
        signature = base64.b64decode(str(message.get("Signature") or ""), validate=True)
    except (binascii.Error, ValueError) as error:
        raise SnsSignatureError("the signature is not base64") from error
    if not signature:
        raise SnsSignatureError("unsigned")
    signed = string_to_sign(message)
    certificate = certificate_for(url)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SnsSignatureError("the signing certificate is not valid now")
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SnsSignatureError("the signing certificate has no RSA key")
    try:
        key.verify(signature, signed, padding.PKCS1v15(), algorithm())
    except InvalidSignature as error:
        raise SnsSignatureError("the signature does not match") from error


def fetch_over_https(url: str) -> bytes:
    """GET ``url`` (an SNS address already checked), no redirects, a short timeout.

    Amazon answering "no such file" (4xx) means the address was made up: refused. Amazon not
    answering is ``SnsUnreachable``, so SNS retries the message rather than losing it.
    """
    try:
        response = requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as error:
        raise SnsUnreachable(f"could not reach {url}: {error}") from error
    if response.status_code >= 500:
        raise SnsUnreachable(f"{url} answered {response.status_code}")
    if response.status_code != 200:
        raise SnsSignatureError(f"Amazon SNS has no such address ({response.status_code})")
    return response.content[:MAX_CERTIFICATE_BYTES]


class SnsEndpoint:
    """Our side of SNS: certificates fetched once and kept, subscriptions confirmed.

    ``fetch`` is the one way out to Amazon (``fetch_over_https``); tests pass their own.
    """

    def __init__(self, *, fetch: Callable[[str], bytes], keep: int = 16) -> None:
        self.fetch = fetch
        self.keep = keep
        self._certificates: OrderedDict[str, x509.Certificate] = OrderedDict()
        self._lock = threading.Lock()

    def certificate(self, url: str) -> x509.Certificate:
        """The certificate at ``url`` (an address ``check_sns_url`` passed), fetched once."""
        with self._lock:
            if url in self._certificates:
                self._certificates.move_to_end(url)
                return self._certificates[url]
        try:
            certificate = x509.load_pem_x509_certificate(self.fetch(url))
        except ValueError as error:
            raise SnsSignatureError("the signing certificate cannot be read") from error
        with self._lock:
            self._certificates[url] = certificate
            while len(self._certificates) > self.keep:
                self._certificates.popitem(last=False)
        return certificate

    def confirm_subscription(self, message: Mapping[str, Any]) -> str:
        """Visit a (verified) ``SubscriptionConfirmation``'s ``SubscribeURL``; return the topic."""
        url = check_sns_url(message.get("SubscribeURL"), what="subscription address")
        self.fetch(url)
        return str(message.get("TopicArn"))
