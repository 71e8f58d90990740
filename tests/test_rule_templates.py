"""A rule may name its own templates: a subfolder of the templates folder, checked at start-up."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.errors import TemplateError
from monitor.render import Renderer, sample_alert

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    (folder / "crimea-desk").mkdir()
    (folder / "crimea-desk" / "subject.txt.j2").write_text("CRIMEA DESK: {{ holder }} {{ grade }}\n")
    return folder


def test_a_rule_with_its_own_subject_keeps_the_other_default_templates(templates: Path) -> None:
    renderer = Renderer(templates, rule_templates={"eu-crimea-nonrecognition": "crimea-desk"})
    renderer.self_check()
    alert = sample_alert()
    own = renderer.render(replace(alert, stance_id="eu-crimea-nonrecognition"))
    other = renderer.render(replace(alert, stance_id="us-peace-engagement"))
    assert own.subject.startswith("CRIMEA DESK: EU")
    assert not other.subject.startswith("CRIMEA DESK")
    assert own.text == renderer.render(replace(alert, stance_id="eu-crimea-nonrecognition")).text
    assert "Crimea is Ukraine." in own.text  # the default body


def test_a_missing_or_empty_folder_stops_start_up(templates: Path) -> None:
    with pytest.raises(TemplateError, match="template folder of rule r1 not found"):
        Renderer(templates, rule_templates={"r1": "nope"})
    (templates / "empty").mkdir()
    with pytest.raises(TemplateError, match="rule r1 names it, but it holds no alert template"):
        Renderer(templates, rule_templates={"r1": "empty"})
    with pytest.raises(TemplateError, match="not found"):
        Renderer(templates, rule_templates={"r1": "../templates"})


def test_an_error_in_a_rules_template_names_its_file_and_line(templates: Path) -> None:
    (templates / "crimea-desk" / "alert.txt.j2").write_text("line one\n{{ no_such_field }}\n")
    renderer = Renderer(templates, rule_templates={"eu-crimea-nonrecognition": "crimea-desk"})
    with pytest.raises(TemplateError, match=r"crimea-desk/alert\.txt\.j2:2: 'no_such_field' is undefined"):
        renderer.self_check()
