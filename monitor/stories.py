"""Record a shift as ``monitor.decide`` says: a new alert, one more source of a story, or a suppressed record.

The I/O side of deciding, called by ``pipeline.judge_item`` for each shift: under the stance's story lock it
reads the stance's recent alerts and the silences, decides (pure), renders, and writes the outcome in one
transaction. Does I/O only through the ``Store`` and ``Renderer`` it is given; ``now`` is passed in.

* raise: the alert, its first source and one delivery per channel (a digest channel's is due at its next
  digest time);
* attach: the source is added to the story and the story's bodies are rendered again with every source, so
  deliveries still to come (retries, digests) say "reported by N sources"; nothing is sent again;
* suppress (cooldown, silence): the alert and its source are stored with no delivery, visible in
  ``stance-monitor alerts``;
* already recorded: nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from monitor.config import AlertsConfig, Config
from monitor.decide import Action, Decision, Policy, decide
from monitor.models import Alert, Source
from monitor.render import Renderer
from monitor.schedule import next_digest_at
from monitor.store import Store

log = logging.getLogger("monitor")


def policy_of(config: AlertsConfig) -> Policy:
    return Policy(
        cooldown=timedelta(seconds=config.cooldown),
        story_window=timedelta(seconds=config.story_window),
        story_similarity=config.story_similarity,
    )


def record_shift(
    store: Store,
    renderer: Renderer,
    config: Config,
    alert: Alert,
    *,
    item_id: int | None,
    channels: Sequence[str],
    now: datetime,
) -> Decision:
    """Decide what the shift ``alert`` becomes and record it; return the decision (for logs and counts)."""
    policy = policy_of(config.alerts)
    source = Source.from_alert(alert, first_seen=now)
    with store.story_lock(alert.stance_id):
        history = store.story_history(alert.stance_id, now - policy.lookback, source.source_id)
        decision = decide(source, alert.stance_id, history, store.silences(now), policy, now)
        if decision.action is Action.SKIP:
            log.debug("alert %s: %s", alert.alert_id, decision.detail)
            return decision
        if decision.action is Action.ATTACH and decision.alert_id is not None:
            _attach(store, renderer, decision.alert_id, item_id, source)
            log.info(
                "alert %s: %s shift in %r is another source of the story (%s)",
                decision.alert_id,
                alert.stance_id,
                alert.item_title[:80],
                decision.detail,
            )
            return decision
        rendered = renderer.render(alert, (source,), decision.reason, decision.detail)
        raised = decision.action is Action.RAISE
        digests = {c.name: c.digest for c in config.channels if c.digest}
        due = {name: next_digest_at(digests[name], now) for name in channels if name in digests}
        stored = store.add_alert(
            rendered,
            item_id,
            list(channels) if raised else [],
            now,
            due=due,
            status="raised" if raised else "suppressed",
            decision=decision.reason,
            detail=decision.detail,
            source=source,
        )
    if stored and raised:
        log.info(
            "alert %s: %s shift (%s) in %r (%s)",
            alert.alert_id,
            alert.stance_id,
            alert.grade,
            alert.item_title[:80],
            decision.reason.text + (f": {decision.detail}" if decision.detail else ""),
        )
    elif stored:
        log.info(
            "alert %s: %s shift (%s) in %r recorded, not sent (%s: %s)",
            alert.alert_id,
            alert.stance_id,
            alert.grade,
            alert.item_title[:80],
            decision.reason,
            decision.detail,
        )
    return decision


def _attach(store: Store, renderer: Renderer, alert_id: str, item_id: int | None, source: Source) -> None:
    story = store.story(alert_id)
    if story is None:  # pragma: no cover - the history just named it, under the lock
        return
    rendered = renderer.render(
        story.rendered.alert, (*story.sources, source), story.decision, story.decision_detail
    )
    store.attach_source(alert_id, item_id, source, rendered)
