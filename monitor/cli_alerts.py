"""``stance-monitor alerts [show|retry]`` and ``render``: what was raised, where it went, what it looks like.

Reads the database and the templates; prints. ``alerts retry`` is the one write: it re-queues deliveries.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.config import WebhookChannelConfig, load_config

if TYPE_CHECKING:  # the database layer is imported by the commands that use it, not by every command
    from monitor.store_alerts import AlertOverview
    from monitor.tables import DeliveryState

EXIT_OK, EXIT_FAILED = 0, 1
ConfigArg = Callable[[argparse.ArgumentParser], None]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_arg: ConfigArg) -> None:
    alerts = sub.add_parser(
        "alerts", help="recent alerts (raised, suppressed, notices) and their per-channel delivery state"
    )
    config_arg(alerts)
    alerts.add_argument("--limit", type=int, default=20)
    alerts.set_defaults(func=cmd_alerts)
    actions = alerts.add_subparsers(metavar="ACTION")

    def sub_config(sp: argparse.ArgumentParser) -> None:  # SUPPRESS: do not override a --config given before
        sp.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="configuration file")

    show = actions.add_parser("show", help="one alert: its decision, every source, every delivery")
    show.add_argument("alert_id")
    sub_config(show)
    show.set_defaults(func=cmd_alerts_show)

    retry = actions.add_parser("retry", help="re-queue an alert's dead (or failed) deliveries now")
    retry.add_argument("alert_id")
    retry.add_argument("--channel", help="only this channel (default: every dead or failed one)")
    sub_config(retry)
    retry.set_defaults(func=cmd_alerts_retry)

    render = sub.add_parser("render", help="print what each channel would send for an alert (or a sample)")
    config_arg(render)
    render.add_argument("alert_id", nargs="?", help="a stored alert id; without it, a sample alert")
    render.set_defaults(func=cmd_render)


def _delivery(d: DeliveryState) -> str:
    text = f"{d.channel}: {d.status}"
    if d.status in ("failed", "dead"):
        text += f" ({d.attempts} attempt{'s' if d.attempts != 1 else ''}"
        if d.status == "failed" and d.next_attempt_at is not None:
            text += f", next {d.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC"
        text += f"): {d.last_error or ''}"
    elif d.status == "pending" and d.next_attempt_at is not None:
        text += f" (due {d.next_attempt_at:%Y-%m-%d %H:%M} UTC)"
    return text


def _line(o: AlertOverview) -> str:
    a = o.alert
    detail = f" ({o.decision_detail})" if o.decision_detail else ""
    if o.status == "notice":  # a dead-letter notice
        decision = f"notice: {o.decision}{detail}"
    elif a.grade == "notice":  # a feed-health notice (monitor.notices)
        decision = "notice"
    else:
        decision = f"{o.status}: {o.decision}{detail}"
    sources = f"   [{o.sources} sources]" if o.sources > 1 else ""
    out = [f"{a.created_at:%Y-%m-%d %H:%M} {a.alert_id} {a.stance_id} ({a.grade}) {decision}"]
    out.append(f"    {a.item_title}{sources}")
    out += [f"    {_delivery(d)}" for d in o.deliveries]
    if not o.deliveries and o.status == "suppressed":
        out.append("    not sent to any channel")
    if any(d.status == "dead" for d in o.deliveries):
        out.append(f"    to send it again: stance-monitor alerts retry {a.alert_id}")
    return "\n".join(out)


def cmd_alerts(args: argparse.Namespace) -> int:
    from monitor.store import Store

    config = load_config(args.config)
    with Store(config.database) as store:
        rows = store.alert_overview(args.limit)
    for overview in rows:
        print(_line(overview))
    if not rows:
        print("no alerts yet")
    return EXIT_OK


def cmd_alerts_show(args: argparse.Namespace) -> int:
    from monitor.store import Store

    config = load_config(args.config)
    with Store(config.database) as store:
        story = store.story(args.alert_id)
        deliveries = store.deliveries(args.alert_id) if story else []
    if story is None:
        print(f"error: no alert {args.alert_id!r}", file=sys.stderr)
        return EXIT_FAILED
    a = story.rendered.alert
    print(f"alert {a.alert_id}: {story.rendered.subject}")
    print(f"  stance:   {a.stance_id} ({a.grade}, score {a.score:.2f}, {a.severity} severity)")
    detail = f" ({story.decision_detail})" if story.decision_detail else ""
    print(f"  decision: {story.status}: {story.decision}{detail}")
    print(f"  raised:   {a.created_at:%Y-%m-%d %H:%M:%S} UTC")
    print(f"  sources:  {len(story.sources)}")
    for i, s in enumerate(story.sources, 1):
        print(f"    {i}. {s.feed} (first seen {s.first_seen:%Y-%m-%d %H:%M} UTC, {s.grade}): {s.title}")
        print(f"       {s.link or '(no link)'}")
        print(f"       {s.sentence!r}")
    print("  deliveries:" if deliveries else "  deliveries: none")
    for d in deliveries:
        print(f"    {_delivery(d)}")
    return EXIT_OK


def cmd_alerts_retry(args: argparse.Namespace) -> int:
    from monitor.store import Store

    config = load_config(args.config)
    with Store(config.database) as store:
        if store.alert(args.alert_id) is None:
            print(f"error: no alert {args.alert_id!r}", file=sys.stderr)
            return EXIT_FAILED
        channels = store.retry_deliveries(args.alert_id, datetime.now(UTC), channel=args.channel)
    if not channels:
        which = f" to {args.channel}" if args.channel else ""
        print(f"alert {args.alert_id}: no dead or failed delivery{which} to retry")
        return EXIT_FAILED
    print(
        f"alert {args.alert_id}: re-queued for {', '.join(channels)}; "
        "the running daemon (or the next `run --once`) sends it"
    )
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from monitor.channels.slack import slack_message
    from monitor.render import Renderer
    from monitor.render_context import sample_alert, sample_sources
    from monitor.store import Store

    config = load_config(args.config)
    renderer = Renderer(Path(config.templates))
    if args.alert_id:
        with Store(config.database) as store:
            story = store.story(args.alert_id)
        if story is None:
            print(f"error: no alert {args.alert_id!r}", file=sys.stderr)
            return EXIT_FAILED
        if story.status == "notice" or story.rendered.alert.grade == "notice":
            rendered = story.rendered  # notices are built in code, not from the templates
        else:
            alert = story.rendered.alert
            rendered = renderer.render(alert, story.sources, story.decision, story.decision_detail)
    else:
        sample = sample_alert()
        rendered = renderer.render(sample, sample_sources(sample))
    print(f"== subject\n{rendered.subject}\n\n== text (console, email)\n{rendered.text}\n")
    print(
        f"== html (email)\n{rendered.html}\n\n== payload (webhook, file)\n{json.dumps(rendered.payload, indent=2)}"
    )
    if any(isinstance(c, WebhookChannelConfig) and c.format == "slack" for c in config.channels):
        print(f"\n== slack (webhook with format: slack)\n{json.dumps(slack_message(rendered), indent=2)}")
    return EXIT_OK
