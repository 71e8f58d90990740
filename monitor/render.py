"""Render an alert (or a digest of alerts) into a subject, a text body, an HTML body and a payload. Pure after loading.

The only I/O is reading the template files when a ``Renderer`` is built; rendering works on values.
Templates live in one folder (``templates/`` by default)::

    subject.txt.j2         one line; cleaned afterwards (no CR/LF or control characters, at most 200 chars)
    alert.txt.j2           the plain-text body (console, email text part)
    alert.html.j2          the HTML email body (autoescaped)
    webhook.json.j2        the JSON webhook/file payload; must render to a JSON object
    digest_subject.txt.j2  digest channels only: the digest's subject line
    digest.txt.j2          digest channels only: the digest's text body
    digest.html.j2         digest channels only: the digest's HTML body

A digest's payload is not a template: it is ``{"version": 1, "type": "digest", "count": N, "alerts":
[each alert's own payload]}``, so a receiver parses digests with the code it has for single alerts.

Templates run in Jinja2's immutable sandbox (rule authors may write them), with ``StrictUndefined``
(a misspelt variable is an error, not an empty string). Autoescaping is on for ``*.html.j2`` only.
The context is documented in ``monitor.render_context``. Filters: ``safe_url`` (the URL if http/https,
else "") and ``oneline(limit)``; ``tojson`` is Jinja's own and always yields valid JSON.
"""

from __future__ import annotations

import hashlib
import json
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from monitor.decide import GRADE_RANK, Reason, rank
from monitor.errors import TemplateError
from monitor.models import Alert, RenderedAlert, Source
from monitor.render_context import (
    SUBJECT_LIMIT,
    alert_context,
    digest_context,
    oneline,
    safe_url,
    sample_alert,
    sample_sources,
)

__all__ = [
    "DIGEST_TEMPLATE_NAMES",
    "SUBJECT_LIMIT",
    "TEMPLATE_NAMES",
    "DigestEntry",
    "Renderer",
    "alert_context",
    "oneline",
    "safe_url",
    "sample_alert",
]

SUBJECT = "subject.txt.j2"
TEXT = "alert.txt.j2"
HTML = "alert.html.j2"
WEBHOOK = "webhook.json.j2"
DIGEST_SUBJECT = "digest_subject.txt.j2"
DIGEST_TEXT = "digest.txt.j2"
DIGEST_HTML = "digest.html.j2"
TEMPLATE_NAMES = (SUBJECT, TEXT, HTML, WEBHOOK)
DIGEST_TEMPLATE_NAMES = (DIGEST_SUBJECT, DIGEST_TEXT, DIGEST_HTML)
DIGEST_STANCE = "digest"  # the stance_id of a digest's header alert (email threads digests together)


@dataclass(frozen=True)
class DigestEntry:
    """One alert of a digest: as rendered when it was raised, with its story and its decision."""

    rendered: RenderedAlert
    sources: tuple[Source, ...] = ()
    reason: str = Reason.FIRST_SHIFT
    detail: str = ""


def _autoescape(name: str | None) -> bool:
    return name is not None and name.removesuffix(".j2").endswith((".html", ".htm"))


class Renderer:
    """Loads and compiles the templates once; renders alerts and digests with them.

    The digest templates are loaded when ``digests`` is true (some channel collects digests), so a
    templates folder made before digests existed still works for everything else.
    """

    def __init__(
        self, templates_dir: Path, *, digests: bool = False, rule_templates: Mapping[str, str] | None = None
    ) -> None:
        self._dir = Path(templates_dir)
        self._root = self._dir.resolve()
        self._env = ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(self._dir)),
            undefined=jinja2.StrictUndefined,
            autoescape=_autoescape,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._env.filters["safe_url"] = safe_url
        self._env.filters["oneline"] = oneline
        names = TEMPLATE_NAMES + (DIGEST_TEMPLATE_NAMES if digests else ())
        self._templates = {name: self._load(name) for name in names}
        # A rule may name its own template set: a subfolder of the templates folder holding any of the four
        # alert templates; what it lacks comes from the defaults. Loaded (and so checked) at start-up.
        self._rule_sets = dict(rule_templates or {})
        for stance_id, folder in self._rule_sets.items():
            if "/" in folder or "\\" in folder or folder.startswith(".") or not (self._dir / folder).is_dir():
                raise TemplateError(f"{self._dir / folder}: template folder of rule {stance_id} not found")
            found = [name for name in TEMPLATE_NAMES if (self._dir / folder / name).is_file()]
            if not found:
                raise TemplateError(
                    f"{self._dir / folder}: rule {stance_id} names it, but it holds no alert template"
                )
            for name in found:
                self._templates[f"{folder}/{name}"] = self._load(f"{folder}/{name}")

    @property
    def digests(self) -> bool:
        return DIGEST_SUBJECT in self._templates

    def render(
        self,
        alert: Alert,
        sources: Sequence[Source] = (),
        reason: str = Reason.FIRST_SHIFT,
        detail: str = "",
    ) -> RenderedAlert:
        """Render every template for ``alert`` and its story; raise TemplateError naming the file and line."""
        context = alert_context(alert, sources, reason, detail)
        folder = self._rule_sets.get(alert.stance_id)

        def pick(name: str) -> str:
            own = f"{folder}/{name}"
            return own if folder and own in self._templates else name

        subject = oneline(self._render(pick(SUBJECT), context), SUBJECT_LIMIT)
        text = self._render(pick(TEXT), context)
        html = self._render(pick(HTML), context)
        payload = self._json(self._render(pick(WEBHOOK), context))
        return RenderedAlert(alert=alert, subject=subject, text=text, html=html, payload=payload)

    def render_digest(
        self, entries: Sequence[DigestEntry], now: datetime, channel: str = ""
    ) -> RenderedAlert:
        """One message listing every alert of ``entries`` (oldest first), for a digest channel.

        Its ``alert`` is a header: ``alert_id`` ``digest-<hash of the alert ids>`` (so a retried digest has
        the same Idempotency-Key and Message-ID), ``stance_id`` ``digest``, the highest grade and severity.
        """
        if not self.digests:
            raise TemplateError(f"{self._dir}: digest templates are not loaded (no channel has a digest)")
        if not entries:
            raise ValueError("a digest needs at least one alert")
        ordered = sorted(entries, key=lambda e: (e.rendered.alert.created_at, e.rendered.alert.alert_id))
        contexts = [alert_context(e.rendered.alert, e.sources, e.reason, e.detail) for e in ordered]
        context = digest_context(contexts, now)
        subject = oneline(self._render(DIGEST_SUBJECT, context), SUBJECT_LIMIT)
        text = self._render(DIGEST_TEXT, context)
        html = self._render(DIGEST_HTML, context)
        ids = [e.rendered.alert.alert_id for e in ordered]
        digest_id = "digest-" + hashlib.sha256("\n".join([channel, *ids]).encode()).hexdigest()[:16]
        payload: dict[str, Any] = {
            "version": 1,
            "type": "digest",
            "digest_id": digest_id,
            "count": len(ordered),
            "created_at": context["created_at"],
            "alerts": [e.rendered.payload for e in ordered],
        }
        header = _digest_header(digest_id, [e.rendered.alert for e in ordered], subject, now)
        return RenderedAlert(alert=header, subject=subject, text=text, html=html, payload=payload)

    def self_check(self) -> None:
        """Render the sample alert (with a second source, and a sparse variant), and a digest if loaded."""
        sample = sample_alert()
        full = self.render(sample, sample_sources(sample), Reason.FIRST_SHIFT)
        sparse_alert = replace(sample, item_link="", item_published=None, speaker="", seed_source="")
        sparse = self.render(sparse_alert, (), Reason.GRADE_ROSE, "hedge -> partial since alert x (2h ago)")
        for stance_id in self._rule_sets:  # every rule's own templates, on the same sample
            self.render(replace(sample, stance_id=stance_id), sample_sources(sample), Reason.FIRST_SHIFT)
        if self.digests:
            entries = [DigestEntry(full, sample_sources(sample)), DigestEntry(sparse, (), Reason.GRADE_ROSE)]
            self.render_digest(entries, sample.created_at)

    def _display(self, name: str) -> str:
        return str(self._dir / name)

    def _load(self, name: str) -> jinja2.Template:
        try:
            return self._env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{exc.filename or self._display(name)}:{exc.lineno}: {exc.message}") from exc
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"{self._display(name)}: template not found") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(f"{self._display(name)}: cannot read: {exc}") from exc

    def _render(self, name: str, context: dict[str, Any]) -> str:
        try:
            return self._templates[name].render(context)
        except Exception as exc:  # templates are user code: any failure is a template problem
            where = self._where(exc) or self._display(name)
            detail = str(exc) if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: {exc}"
            raise TemplateError(f"{where}: {detail}") from exc

    def _where(self, exc: BaseException) -> str | None:
        """``file:line`` of the innermost template frame in the traceback (Jinja rewrites frames to them)."""
        found = None
        for frame in traceback.extract_tb(exc.__traceback__):
            try:
                inside = Path(frame.filename).resolve().is_relative_to(self._root)
            except (OSError, ValueError):
                inside = False
            if inside:
                found = f"{frame.filename}:{frame.lineno}"
        return found

    def _json(self, body: str) -> dict[str, Any]:
        try:
            payload = json.loads(body)
        except json.JSONDecodeError as exc:
            raise TemplateError(
                f"{self._display(WEBHOOK)}: rendered output is not valid JSON "
                f"(output line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from exc
        if not isinstance(payload, dict):
            raise TemplateError(f"{self._display(WEBHOOK)}: rendered output must be a JSON object")
        return payload


_SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


def _digest_header(digest_id: str, alerts: Sequence[Alert], subject: str, now: datetime) -> Alert:
    """The ``Alert`` a digest travels as: channels take its id, date and threading from it."""
    top = max(alerts, key=lambda a: (rank(a.grade), a.score))
    severity = max((a.severity for a in alerts), key=lambda s: _SEVERITY_RANK.get(s.lower(), 0))
    holders = ", ".join(dict.fromkeys(a.holder for a in alerts if a.holder))
    grade = top.grade if top.grade.lower() in GRADE_RANK else "reversal"
    return replace(
        top,
        alert_id=digest_id,
        stance_id=DIGEST_STANCE,
        holder=holders,
        proposition=f"{len(alerts)} stance shift(s)",
        grade=grade,
        score=max(a.score for a in alerts),
        reason=subject,
        severity=severity,
        created_at=now,
    )
