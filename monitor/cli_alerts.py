"""``stance-monitor alerts`` and ``render``: what was raised, where it went, what it looks like. Prints."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from monitor.config import load_config

EXIT_OK, EXIT_FAILED = 0, 1
ConfigArg = Callable[[argparse.ArgumentParser], None]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_arg: ConfigArg) -> None:
    alerts = sub.add_parser("alerts", help="recent alerts and their per-channel delivery state")
    config_arg(alerts)
    alerts.add_argument("--limit", type=int, default=20)
    alerts.set_defaults(func=cmd_alerts)

    render = sub.add_parser("render", help="print what each channel would send for an alert (or a sample)")
    config_arg(render)
    render.add_argument("alert_id", nargs="?", help="a stored alert id; without it, a sample alert")
    render.set_defaults(func=cmd_render)


def cmd_alerts(args: argparse.Namespace) -> int:
    from monitor.store import Store

    config = load_config(args.config)
    with Store(config.database) as store:
        rows = store.alerts(args.limit)
    for alert, states in rows:
        channels = ", ".join(f"{c}: {s}" for c, s in sorted(states.items()))
        print(
            f"{alert.created_at:%Y-%m-%d %H:%M} {alert.alert_id} {alert.stance_id} ({alert.grade}) [{channels}]\n    {alert.item_title}"
        )
    if not rows:
        print("no alerts yet")
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from monitor.render import Renderer, sample_alert
    from monitor.store import Store

    config = load_config(args.config)
    renderer = Renderer(Path(config.templates))
    if args.alert_id:
        with Store(config.database) as store:
            stored = store.alert(args.alert_id)
        if stored is None:
            print(f"error: no alert {args.alert_id!r}", file=sys.stderr)
            return EXIT_FAILED
        rendered = renderer.render(stored.alert)
    else:
        rendered = renderer.render(replace(sample_alert()))
    print(f"== subject\n{rendered.subject}\n\n== text (console, email)\n{rendered.text}\n")
    print(
        f"== html (email)\n{rendered.html}\n\n== payload (webhook, file)\n{json.dumps(rendered.payload, indent=2)}"
    )
    return EXIT_OK
