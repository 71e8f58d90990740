"""Rendering stories (several sources), digests and dead-letter notices, with hostile feed content in them."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markupsafe import escape

from monitor.dead_letter import dead_letter_notice
from monitor.decide import Reason
from monitor.models import Source
from monitor.render import DigestEntry, Renderer, sample_alert
from monitor.render_context import MAX_SOURCES, sample_sources

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
HOSTILE = '<script>alert(1)</script><img src=x onerror="steal()">'


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES, digests=True)


def hostile_source(n: int = 2, **changes: object) -> Source:
    base = sample_sources(sample_alert())[1]
    values: dict[str, object] = {
        "source_id": f"hostile-{n}",
        "title": f"{HOSTILE} headline {n}\r\nBcc: evil@example.org",
        "link": "javascript:alert(document.cookie)",
        "feed": f"Feed <b>{n}</b>",
    }
    return replace(base, **(values | changes))  # type: ignore[arg-type]


def test_every_source_is_listed_in_text_html_and_payload(renderer: Renderer) -> None:
    alert = sample_alert()
    sources = sample_sources(alert)
    rendered = renderer.render(alert, sources, Reason.FIRST_SHIFT)
    for source in sources:
        assert source.feed in rendered.text and source.link in rendered.text
        assert html.escape(source.title) in rendered.html and f'href="{source.link}"' in rendered.html
    assert "REPORTED BY 2 SOURCES" in rendered.text and "Reported by 2 sources" in rendered.html
    assert "first seen 2 May 2025, 10:06 UTC" in rendered.text
    assert rendered.subject.endswith("[2 sources]")
    assert [s["first_seen"] for s in rendered.payload["sources"]] == [
        "2025-05-02T09:41:00+00:00",
        "2025-05-02T10:06:00+00:00",
    ]


def test_hostile_sources_are_inert_everywhere(renderer: Renderer) -> None:
    alert = sample_alert()
    rendered = renderer.render(alert, (sample_sources(alert)[0], hostile_source()))
    assert "<script>" not in rendered.html and "<img" not in rendered.html  # escaped: no tag, no attribute
    assert str(escape(HOSTILE)) in rendered.html
    assert "javascript:" not in rendered.html
    assert "\r" not in rendered.text and "\nBcc:" not in rendered.text
    [_, payload_source] = rendered.payload["sources"]
    assert payload_source["link"] == ""  # only http(s) links leave the renderer
    assert "\r" not in payload_source["title"] and "\n" not in payload_source["title"]
    digest = renderer.render_digest([DigestEntry(rendered, (hostile_source(),))], NOW)
    assert "<script>" not in digest.html and "<img" not in digest.html and "javascript:" not in digest.html
    assert str(escape(HOSTILE)) in digest.html


def test_a_huge_title_is_cut_in_the_sources_and_the_digest(renderer: Renderer) -> None:
    alert = replace(sample_alert(), item_title="Crimea " * 20_000)
    huge = hostile_source(title="x" * 100_000)
    rendered = renderer.render(alert, (Source.from_alert(alert), huge))
    assert len(rendered.subject) <= 200
    assert all(len(s["title"]) <= 300 for s in rendered.payload["sources"])
    assert len(rendered.text) < 20_000 and len(rendered.html) < 40_000
    digest = renderer.render_digest([DigestEntry(rendered, (huge,))], NOW)
    assert len(digest.subject) <= 200 and len(digest.text) < 20_000


def test_a_much_reported_story_lists_fifty_and_counts_all(renderer: Renderer) -> None:
    alert = sample_alert()
    many = [
        replace(
            Source.from_alert(alert),
            source_id=f"s{i}",
            feed=f"Outlet {i}",
            first_seen=NOW + timedelta(minutes=i),
        )
        for i in range(MAX_SOURCES + 7)
    ]
    rendered = renderer.render(alert, many)
    assert rendered.payload["source_count"] == MAX_SOURCES + 7
    assert len(rendered.payload["sources"]) == MAX_SOURCES
    assert "... and 7 more" in rendered.text and "and 7 more" in rendered.html


def test_the_decision_is_shown_to_readers(renderer: Renderer) -> None:
    rendered = renderer.render(
        sample_alert(), (), Reason.GRADE_ROSE, "hedge -> reversal since alert x (2h ago)"
    )
    assert "Why now: the shift grew stronger than the last alert on this stance" in rendered.text
    assert "(hedge -&gt; reversal since alert x (2h ago))" in rendered.html
    assert rendered.payload["decision"] == {
        "reason": "grade-rose",
        "text": Reason.GRADE_ROSE.text,
        "detail": "hedge -> reversal since alert x (2h ago)",
    }


def test_a_digest_needs_its_templates_loaded() -> None:
    from monitor.errors import TemplateError

    plain = Renderer(TEMPLATES)
    with pytest.raises(TemplateError, match="digest templates are not loaded"):
        plain.render_digest([DigestEntry(plain.render(sample_alert()))], NOW)


def test_a_missing_digest_template_stops_start_up_only_when_a_digest_is_configured(tmp_path: Path) -> None:
    from monitor.errors import TemplateError

    folder = tmp_path / "templates"
    folder.mkdir()
    for name in ("subject.txt.j2", "alert.txt.j2", "alert.html.j2", "webhook.json.j2"):
        (folder / name).write_text((TEMPLATES / name).read_text(encoding="utf-8"), encoding="utf-8")
    Renderer(folder).self_check()  # a templates folder from before digests still works
    with pytest.raises(TemplateError, match="digest_subject.txt.j2: template not found"):
        Renderer(folder, digests=True)


def test_the_dead_letter_notice_escapes_the_alert_and_says_how_to_retry(renderer: Renderer) -> None:
    alert = replace(sample_alert(), item_title=HOSTILE)
    rendered = renderer.render(alert)
    notice = dead_letter_notice(rendered, channel="hook", error="HTTP 400: <b>bad</b>", attempts=3, now=NOW)
    assert notice.subject.startswith("UNDELIVERED to hook: ") and "\n" not in notice.subject
    assert "<script>" not in notice.html and "&lt;b&gt;bad&lt;/b&gt;" in notice.html
    assert f"stance-monitor alerts retry {alert.alert_id} --channel hook" in notice.text
    assert notice.payload["type"] == "notice" and notice.payload["notice"] == "dead-letter"
    assert notice.payload["undelivered"] == {
        "alert_id": alert.alert_id,
        "channel": "hook",
        "error": "HTTP 400: <b>bad</b>",
        "attempts": 3,
    }
    assert notice.payload["alert"] == rendered.payload
    assert notice.alert.alert_id != alert.alert_id and notice.alert.stance_id == alert.stance_id
