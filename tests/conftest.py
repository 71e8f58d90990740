"""Shared fixtures: paths to the project's rules and seeds, the shared material beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shipped_engine():  # type: ignore[no-untyped-def]
    from monitor.engine import Engine, load_rules

    return Engine(load_rules(ROOT / "rules", ROOT / "seeds"))
