"""Render an ``Alert`` into a subject, a text body, an HTML body and a webhook payload. Pure after loading.

The only I/O is reading the template files when a ``Renderer`` is built; ``render`` works on values.
Templates live in one folder (``templates/`` by default)::

    subject.txt.j2     one line; cleaned afterwards (no CR/LF or control characters, at most 200 chars)
    alert.txt.j2       the plain-text body (console, email text part)
    alert.html.j2      the HTML email body (autoescaped)
    webhook.json.j2    the JSON webhook/file payload; must render to a JSON object

Templates run in Jinja2's immutable sandbox (rule authors may write them), with ``StrictUndefined``
(a misspelt variable is an error, not an empty string). Autoescaping is on for ``*.html.j2`` only.

The context every template sees is ``alert_context(alert)``: plain strings, numbers and dicts::

    alert_id, stance_id, holder, proposition, severity
    baseline          the baseline as written in the rule: "supports" or "opposes" (the proposition)
    baseline_text     a verb phrase for after the holder ("opposes this")
    grade             hedge | partial | reversal;  grade_text: what that grade means, in words
    score             0.0-1.0;  confidence: the score as a percentage ("82%")
    reason            why the engine called it a shift
    created_at        ISO 8601;  created_at_text: "2 May 2025, 09:41 UTC"
    item              {title, link, published (ISO or None), published_text, feed}
    evidence          {sentence, speaker}            the new sentence that shows the shift
    baseline_evidence {quote, seed, source, date}    the baseline quote and where it comes from

Feed content is hostile: every string is stripped of control and bidi-override characters, collapsed onto
one line and length-limited. Filters: ``safe_url`` (the URL if http/https, else "") and
``oneline(limit)``; ``tojson`` is Jinja's own and always yields valid JSON.
"""

from __future__ import annotations

import json
import re
import traceback
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from monitor.errors import TemplateError
from monitor.models import Alert, RenderedAlert

SUBJECT = "subject.txt.j2"
TEXT = "alert.txt.j2"
HTML = "alert.html.j2"
WEBHOOK = "webhook.json.j2"
TEMPLATE_NAMES = (SUBJECT, TEXT, HTML, WEBHOOK)

SUBJECT_LIMIT = 200
SHORT_LIMIT = 200  # names, ids, labels
TITLE_LIMIT = 300
LONG_LIMIT = 2000  # sentences, quotes, reasons, URLs
ELLIPSIS = "…"

# C0/C1 controls (tab and newline become spaces later), and bidi overrides that can disguise text.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")  # terminal escape sequences (colours, cursor moves)
_SPACE = re.compile(r"\s+")

GRADE_TEXT = {
    "hedge": "hedge: softer wording than the baseline, not yet a change of position",
    "partial": "partial shift: part of the baseline position is given up",
    "reversal": "reversal: the opposite of the baseline position",
}
BASELINE_TEXT = {  # rule files say "supports" or "opposes" (the proposition)
    "opposes": "opposes this",
    "supports": "supports this",
}


def oneline(value: object, limit: int = LONG_LIMIT) -> str:
    """One clean line: no control characters, whitespace collapsed, cut to ``limit`` chars with an ellipsis."""
    text = _SPACE.sub(" ", _CONTROL.sub("", _ANSI.sub("", str(value)))).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def safe_url(value: object) -> str:
    """The URL if it is an absolute http(s) URL, else "" (so ``javascript:`` and friends become inert)."""
    url = oneline(value, LONG_LIMIT)
    if ELLIPSIS in url or " " in url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def _when(moment: datetime | None) -> tuple[str | None, str]:
    if moment is None:
        return None, "date unknown"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.isoformat(), f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def _confidence(score: float) -> str:
    return f"{score:.0%}" if 0.0 <= score <= 1.0 else f"{score:g}"


def alert_context(alert: Alert) -> dict[str, Any]:
    """The one context object every template sees (documented in this module's docstring)."""
    published, published_text = _when(alert.item_published)
    created, created_text = _when(alert.created_at)
    grade = oneline(alert.grade, SHORT_LIMIT)
    baseline = oneline(alert.baseline, LONG_LIMIT)
    return {
        "alert_id": oneline(alert.alert_id, SHORT_LIMIT),
        "stance_id": oneline(alert.stance_id, SHORT_LIMIT),
        "holder": oneline(alert.holder, SHORT_LIMIT),
        "proposition": oneline(alert.proposition, LONG_LIMIT),
        "baseline": baseline,
        "baseline_text": BASELINE_TEXT.get(baseline.lower(), f"holds the baseline '{baseline}'"),
        "grade": grade,
        "grade_text": GRADE_TEXT.get(grade.lower(), grade),
        "score": round(float(alert.score), 3),
        "confidence": _confidence(float(alert.score)),
        "reason": oneline(alert.reason, LONG_LIMIT),
        "severity": oneline(alert.severity, SHORT_LIMIT),
        "created_at": created,
        "created_at_text": created_text,
        "item": {
            "title": oneline(alert.item_title, TITLE_LIMIT),
            "link": oneline(alert.item_link, LONG_LIMIT),
            "published": published,
            "published_text": published_text,
            "feed": oneline(alert.feed_name, SHORT_LIMIT),
        },
        "evidence": {
            "sentence": oneline(alert.sentence, LONG_LIMIT),
            "speaker": oneline(alert.speaker, SHORT_LIMIT),
        },
        "baseline_evidence": {
            "quote": oneline(alert.baseline_quote, LONG_LIMIT),
            "seed": oneline(alert.seed, SHORT_LIMIT),
            "source": oneline(alert.seed_source, LONG_LIMIT),
            "date": oneline(alert.seed_date, SHORT_LIMIT),
        },
    }


def sample_alert() -> Alert:
    """A realistic alert on the EU's Crimea stance, for ``render --sample`` and template self-checks."""
    return Alert(
        alert_id="3f9c2a7e5b1d4c08",
        stance_id="eu-crimea-nonrecognition",
        holder="EU",
        proposition="Crimea is recognised as Russian territory",
        baseline="opposes",
        grade="hedge",
        score=0.65,
        reason="a senior EU diplomat (EU, the holder) + 'accepting Russian control of Crimea' "
        "(hedged support of the proposition, via 'would not rule out')",
        sentence="A senior EU diplomat said the bloc would not rule out accepting Russian control of Crimea "
        "as part of a lasting peace settlement.",
        speaker="a senior EU diplomat",
        item_title="EU diplomats weigh Crimea options as Ukraine peace talks stall",
        item_link="https://news.example.org/europe/2025/05/02/eu-crimea-options",
        item_published=datetime(2025, 5, 2, 9, 30, tzinfo=UTC),
        feed_name="Example Wire — Europe",
        baseline_quote="Crimea is Ukraine.",
        seed="2025-04-21-kallas-afp-interview.md",
        seed_source="AFP interview with EU foreign policy chief Kaja Kallas, as reported on April 21, 2025",
        seed_date="2025-04-21",
        severity="high",
        created_at=datetime(2025, 5, 2, 9, 41, tzinfo=UTC),
    )


def _autoescape(name: str | None) -> bool:
    return name is not None and name.removesuffix(".j2").endswith((".html", ".htm"))


class Renderer:
    """Loads and compiles the templates once; renders alerts with them."""

    def __init__(self, templates_dir: Path) -> None:
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
        self._templates = {name: self._load(name) for name in TEMPLATE_NAMES}

    def render(self, alert: Alert) -> RenderedAlert:
        """Render every template for ``alert``; raise TemplateError naming the template file and line."""
        context = alert_context(alert)
        subject = oneline(self._render(SUBJECT, context), SUBJECT_LIMIT)
        text = self._render(TEXT, context)
        html = self._render(HTML, context)
        payload = self._json(self._render(WEBHOOK, context))
        return RenderedAlert(alert=alert, subject=subject, text=text, html=html, payload=payload)

    def self_check(self) -> None:
        """Render the sample alert (and a sparse variant: no link, date or speaker) through every template."""
        sample = sample_alert()
        self.render(sample)
        self.render(replace(sample, item_link="", item_published=None, speaker="", seed_source=""))

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
