"""Rendering alerts through the default templates, template errors, and hostile feed content."""

from __future__ import annotations

import html
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.errors import TemplateError
from monitor.models import Alert
from monitor.render import (
    DIGEST_TEMPLATE_NAMES,
    TEMPLATE_NAMES,
    Renderer,
    alert_context,
    safe_url,
    sample_alert,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PAYLOAD_KEYS = {
    "version",
    "alert_id",
    "stance_id",
    "holder",
    "proposition",
    "baseline",
    "grade",
    "score",
    "reason",
    "item",
    "evidence",
    "baseline_evidence",
    "sources",
    "source_count",
    "decision",
    "severity",
    "created_at",
}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


def copy_templates(tmp_path: Path) -> Path:
    target = tmp_path / "templates"
    shutil.copytree(TEMPLATES, target)
    return target


def test_subject_is_one_line_naming_holder_proposition_and_grade(renderer: Renderer) -> None:
    subject = renderer.render(sample_alert()).subject
    assert subject == "[Stance shift] EU: Crimea is recognised as Russian territory (hedge)"


def test_text_body_shows_the_new_sentence_beside_the_baseline_quote(renderer: Renderer) -> None:
    alert = sample_alert()
    text = renderer.render(alert).text
    flat = " ".join(text.split())  # the body is word-wrapped
    assert alert.sentence in flat
    assert alert.baseline_quote in flat
    assert flat.index(alert.sentence) < flat.index(alert.baseline_quote)
    for value in (alert.item_link, alert.seed, alert.seed_date, alert.feed_name, "65%", alert.speaker):
        assert value in flat
    assert alert.seed_source in flat
    assert "2 May 2025, 09:30 UTC" in flat


def test_html_body_shows_both_quotes_and_links_the_source(renderer: Renderer) -> None:
    alert = sample_alert()
    body = renderer.render(alert).html
    assert html.escape(alert.sentence) in body
    assert html.escape(alert.baseline_quote) in body
    assert f'href="{alert.item_link}"' in body


def test_payload_is_json_with_the_documented_keys(renderer: Renderer) -> None:
    alert = sample_alert()
    payload = renderer.render(alert).payload
    assert set(payload) == PAYLOAD_KEYS
    assert payload["version"] == 1
    assert payload["alert_id"] == alert.alert_id
    assert payload["score"] == 0.65
    assert payload["item"] == {
        "title": alert.item_title,
        "link": alert.item_link,
        "published": "2025-05-02T09:30:00+00:00",
        "feed": alert.feed_name,
    }
    assert payload["evidence"] == {"sentence": alert.sentence, "speaker": alert.speaker}
    assert payload["baseline_evidence"] == {
        "quote": alert.baseline_quote,
        "seed": alert.seed,
        "source": alert.seed_source,
        "date": alert.seed_date,
    }
    assert payload["created_at"] == "2025-05-02T09:41:00+00:00"
    # Without a recorded story the alert's own item is its one source.
    assert payload["source_count"] == 1
    assert payload["sources"] == [
        {
            "feed": alert.feed_name,
            "title": alert.item_title,
            "link": alert.item_link,
            "published": "2025-05-02T09:30:00+00:00",
            "first_seen": "2025-05-02T09:41:00+00:00",
            "sentence": alert.sentence,
            "speaker": alert.speaker,
            "grade": alert.grade,
        }
    ]
    assert payload["decision"]["reason"] == "first-shift"
    json.dumps(payload)


def test_missing_date_and_link_render_as_null_and_words(renderer: Renderer) -> None:
    rendered = renderer.render(replace(sample_alert(), item_published=None, item_link="", speaker=""))
    assert rendered.payload["item"]["published"] is None
    assert rendered.payload["item"]["link"] == ""
    assert "date unknown" in rendered.text
    assert "href" not in rendered.html.split("<body", 1)[1]


def test_self_check_passes_on_the_default_templates(renderer: Renderer) -> None:
    renderer.self_check()


def test_context_holds_only_plain_values() -> None:
    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | float)

    assert plain(alert_context(sample_alert()))


# --- template errors ---------------------------------------------------------------------------


def test_undefined_variable_names_file_and_line(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "alert.txt.j2").write_text("line one\n{{ holder }}\n\n{{ no_such_thing }}\n")
    renderer = Renderer(folder)
    with pytest.raises(TemplateError) as info:
        renderer.render(sample_alert())
    assert str(info.value) == f"{folder / 'alert.txt.j2'}:4: 'no_such_thing' is undefined"


def test_undefined_attribute_names_file_and_line(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "alert.html.j2").write_text("<p>\n{{ item.no_such_field }}</p>\n")
    with pytest.raises(TemplateError, match=r"alert\.html\.j2:2: .*no_such_field"):
        Renderer(folder).render(sample_alert())


def test_syntax_error_names_file_and_line_when_loading(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "subject.txt.j2").write_text("{# ok #}\n{% if holder %}\n[Stance shift] {{ holder }\n")
    with pytest.raises(TemplateError) as info:
        Renderer(folder)
    message = str(info.value)
    assert message.startswith(f"{folder / 'subject.txt.j2'}:3: ")


def test_missing_template_is_a_template_error(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "webhook.json.j2").unlink()
    with pytest.raises(TemplateError, match=r"webhook\.json\.j2: template not found"):
        Renderer(folder)


def test_webhook_template_that_is_not_json_is_a_template_error(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "webhook.json.j2").write_text('{"title": "{{ item.title }}"}\n')  # no tojson: breaks on quotes
    renderer = Renderer(folder)
    renderer.render(sample_alert())
    with pytest.raises(TemplateError, match=r"webhook\.json\.j2: rendered output is not valid JSON"):
        renderer.render(replace(sample_alert(), item_title='He said "never"'))


def test_sandbox_blocks_reaching_into_python(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "alert.txt.j2").write_text("{{ holder.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(TemplateError, match=r"alert\.txt\.j2:1: "):
        Renderer(folder).render(sample_alert())


def test_self_check_reports_a_broken_template(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "alert.txt.j2").write_text("{{ item.published[:10] }}\n")  # fails when there is no date
    with pytest.raises(TemplateError, match=r"alert\.txt\.j2:1: "):
        Renderer(folder).self_check()


# --- hostile feed content ----------------------------------------------------------------------


def hostile(**changes: object) -> Alert:
    return replace(sample_alert(), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("title", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"])
def test_html_escapes_markup_in_titles(renderer: Renderer, title: str) -> None:
    rendered = renderer.render(hostile(item_title=title, sentence=title, speaker=title))
    assert "<script" not in rendered.html
    assert "<img" not in rendered.html
    assert html.escape(title, quote=False) in rendered.html or html.escape(title) in rendered.html
    assert rendered.payload["item"]["title"] == title  # data stays data in JSON


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:x"]
)
def test_non_http_links_become_inert(renderer: Renderer, link: str) -> None:
    rendered = renderer.render(hostile(item_link=link))
    assert "javascript" not in rendered.html.lower()
    assert 'href="data' not in rendered.html
    assert "alert(1)" not in rendered.text
    assert rendered.payload["item"]["link"] == ""


def test_safe_url_keeps_only_absolute_http_urls() -> None:
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url("HTTP://example.org/") == "HTTP://example.org/"
    for bad in ("javascript:alert(1)", "//example.org/x", "/relative", "ftp://example.org/", "http://", ""):
        assert safe_url(bad) == ""


def test_header_injection_in_subject_is_flattened(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "subject.txt.j2").write_text("{{ item.title }}\n")
    title = "Crimea news\r\nBcc: evil@x\n\x1b[31mred\x07"
    rendered = Renderer(folder).render(hostile(item_title=title, holder="EU\r\nBcc: evil@x"))
    assert rendered.subject == "Crimea news Bcc: evil@x red"
    default = Renderer(TEMPLATES).render(hostile(item_title=title, holder="EU\r\nBcc: evil@x"))
    assert "\r" not in default.subject and "\n" not in default.subject
    assert "\x1b" not in default.text and "\x07" not in default.text
    assert "\r" not in default.text


def test_huge_title_is_truncated_everywhere(tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    (folder / "subject.txt.j2").write_text("[Stance shift] {{ item.title }}\n")
    title = "A" * 100_000
    rendered = Renderer(folder).render(hostile(item_title=title))
    assert len(rendered.subject) == 200
    assert rendered.subject.endswith("…")
    assert len(rendered.text) < 10_000
    assert len(rendered.html) < 20_000
    assert len(rendered.payload["item"]["title"]) == 300
    assert rendered.payload["item"]["title"].endswith("…")


def test_bidi_overrides_are_stripped(renderer: Renderer) -> None:
    rendered = renderer.render(hostile(sentence="EU \u202erecognises\u202c Crimea"))
    assert rendered.payload["evidence"]["sentence"] == "EU recognises Crimea"


def test_every_default_template_exists() -> None:
    names = TEMPLATE_NAMES + DIGEST_TEMPLATE_NAMES
    assert sorted(p.name for p in TEMPLATES.glob("*.j2")) == sorted(names)
