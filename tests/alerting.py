"""An in-process world for delivery tests: a real Store (SQLite in tmp_path), real channels, a clock we move.

``world(tmp_path, channels=[...])`` builds the ``Runtime`` the daemon would build from such a configuration,
except that its clock is a ``Clock`` the test advances (so no test sleeps to wait for a retry) and console
channels write to a ``StringIO`` the test reads.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.alerts import alert_id
from monitor.channels import build_channels
from monitor.config import Config
from monitor.decide import Decision
from monitor.engine import Engine
from monitor.fetch import Fetcher
from monitor.models import Alert
from monitor.pipeline import Runtime
from monitor.render import Renderer
from monitor.render_context import sample_alert
from monitor.store import Store
from monitor.stories import record_shift

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
START = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
UA = "stance-monitor-test/1"


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class World:
    rt: Runtime
    clock: Clock
    console: io.StringIO = field(default_factory=io.StringIO)

    @property
    def store(self) -> Store:
        return self.rt.store

    def alert(self, n: int, **changes: Any) -> Alert:
        """A distinct alert (its own item and stance), raised now; its title is its sentence unless given."""
        base = sample_alert()
        stance = changes.get("stance_id", f"stance-{n}")
        values: dict[str, Any] = {
            "alert_id": alert_id("https://example.org/feed.xml", f"item-{n}", stance),
            "stance_id": stance,
            "holder": f"Holder {n}",
            "item_link": f"https://example.org/items/{n}",
            "sentence": f"Holder {n} said it could accept what it rejected before, statement {n}.",
            "created_at": self.clock(),
        } | changes
        values.setdefault("item_title", values["sentence"])
        return replace(base, **values)

    def add(self, alert: Alert, channels: list[str] | None = None) -> None:
        """Store ``alert`` straight into the outbox, for ``channels`` (default: every channel)."""
        rendered = self.rt.renderer.render(alert)
        targets = channels if channels is not None else list(self.rt.channels)
        assert self.store.add_alert(rendered, None, targets, self.clock())

    def shift(self, alert: Alert, channels: list[str] | None = None) -> Decision:
        """Record ``alert`` as the pipeline does: decide (story, cooldown, silence), render, store."""
        targets = channels if channels is not None else list(self.rt.channels)
        return record_shift(
            self.store,
            self.rt.renderer,
            self.rt.config,
            alert,
            item_id=None,
            channels=targets,
            now=self.clock(),
        )

    def status(self, alert_id: str) -> dict[str, tuple[str, int]]:
        return {d.channel: (d.status, d.attempts) for d in self.store.deliveries(alert_id)}

    def close(self) -> None:
        for channel in self.rt.channels.values():
            channel.close()
        self.rt.fetcher.close()
        self.store.close()


def world(tmp_path: Path, channels: list[dict[str, Any]], alerts: dict[str, Any] | None = None) -> World:
    config = Config.model_validate(
        {
            "database": f"sqlite:///{tmp_path}/monitor.db",
            "templates": str(TEMPLATES),
            "rules": str(ROOT / "rules"),
            "seeds": str(ROOT / "seeds"),
            "channels": channels,
            "alerts": alerts or {},
        }
    )
    clock = Clock()
    console = io.StringIO()
    rt = Runtime(
        config=config,
        store=Store(config.database),
        fetcher=Fetcher(UA),
        engine=Engine([]),
        renderer=Renderer(TEMPLATES, digests=any(c.digest for c in config.channels)),
        channels=build_channels(config.channels, user_agent=UA, stream=console),
        clock=clock,
    )
    return World(rt=rt, clock=clock, console=console)
