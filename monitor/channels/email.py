"""The email channel: sends each alert as a text + HTML email over SMTP with smtplib. Does network I/O.

``ssl: true`` connects with implicit TLS (SMTP_SSL); ``starttls: true`` upgrades a plain connection.
Messages carry a stable ``Message-ID`` (``<alert_id@stance-monitor>``) and ``In-Reply-To``/``References``
pointing at ``<stance-<stance_id>@stance-monitor>`` so that alerts on one stance thread together.
SMTP 4xx replies, disconnects and network errors are retryable; 5xx replies and TLS/auth setup problems
are permanent. Reasons never include the password.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime

from monitor.config import EmailChannelConfig
from monitor.errors import DeliveryError
from monitor.models import Alert, RenderedAlert
from monitor.render import SUBJECT_LIMIT, oneline

DOMAIN = "stance-monitor"
_NOT_ID = re.compile(r"[^A-Za-z0-9._+-]")


def _id_part(value: str) -> str:
    return _NOT_ID.sub("-", value) or "unknown"


def message_id(alert: Alert) -> str:
    return f"<{_id_part(alert.alert_id)}@{DOMAIN}>"


def thread_id(alert: Alert) -> str:
    return f"<stance-{_id_part(alert.stance_id)}@{DOMAIN}>"


def build_message(rendered: RenderedAlert, *, sender: str, to: list[str]) -> EmailMessage:
    """The email for one alert: multipart/alternative with the text and HTML bodies. Pure."""
    alert = rendered.alert
    created = alert.created_at
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = oneline(rendered.subject, SUBJECT_LIMIT)  # never a CR/LF, whatever the template did
    msg["Date"] = format_datetime(created if created.tzinfo else created.replace(tzinfo=UTC))  # naive = UTC
    msg["Message-ID"] = message_id(alert)
    msg["In-Reply-To"] = thread_id(alert)
    msg["References"] = thread_id(alert)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: tells autoresponders not to answer
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode("utf-8", "replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"SMTP {exc.smtp_code} {oneline(text, 200)}"


def _transient(code: int) -> bool:
    return not 500 <= code < 600  # 4xx, and the -1 smtplib uses for a reply it could not read


class EmailChannel:
    def __init__(self, config: EmailChannelConfig) -> None:
        self.name = config.name
        self._config = config

    def send(self, rendered: RenderedAlert) -> None:
        cfg = self._config
        msg = build_message(rendered, sender=cfg.sender, to=cfg.to)
        where = f"{cfg.host}:{cfg.port}"
        try:
            refused = self._deliver(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(f"{rcpt}: {code}" for rcpt, (code, _) in exc.recipients.items())
            raise self._error(
                f"{where}: all recipients refused ({detail})", any(map(_transient, codes))
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise self._error(f"{where}: {_reply(exc)}", _transient(exc.smtp_code)) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise self._error(f"{where}: {exc}", False) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise self._error(f"{where}: server disconnected: {exc}", True) from exc
        except ssl.SSLCertVerificationError as exc:
            raise self._error(f"{where}: TLS certificate not trusted: {exc.verify_message}", False) from exc
        except smtplib.SMTPException as exc:  # e.g. no usable AUTH mechanism: a setup problem
            raise self._error(f"{where}: {exc}", False) from exc
        except OSError as exc:  # refused, reset, timed out, TLS handshake failed
            raise self._error(f"{where}: {type(exc).__name__}: {exc}", True) from exc
        if refused:  # delivered to some: retrying would send duplicates to the others
            detail = "; ".join(f"{rcpt}: {code}" for rcpt, (code, _) in refused.items())
            raise self._error(f"{where}: delivered, but some recipients refused ({detail})", False)

    def close(self) -> None:
        """Nothing to release: one SMTP connection per alert."""

    def _deliver(self, msg: EmailMessage) -> dict[str, tuple[int, bytes]]:
        cfg = self._config
        smtp: smtplib.SMTP
        if cfg.ssl:
            smtp = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        try:
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                smtp.login(cfg.username, cfg.password or "")
            return smtp.send_message(msg, from_addr=cfg.sender, to_addrs=cfg.to)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _error(self, reason: str, retryable: bool) -> DeliveryError:
        if self._config.password:
            reason = reason.replace(self._config.password, "***")
        return DeliveryError(self.name, reason, retryable=retryable)
