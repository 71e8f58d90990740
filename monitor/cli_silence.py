"""``stance-monitor silence add|list|remove``: hold back alerts on a stance for a while. Reads and writes the database.

A silenced stance's shifts are still judged and recorded (``stance-monitor alerts`` shows them as
``suppressed: silenced``); they are just not sent.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import load_config
from monitor.decide import ALL_STANCES, Silence
from monitor.durations import format_duration, parse_duration

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
ConfigArg = Callable[[argparse.ArgumentParser], None]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_arg: ConfigArg) -> None:
    silence = sub.add_parser("silence", help="suppress alerts on a stance for a while (add, list, remove)")
    actions = silence.add_subparsers(metavar="ACTION")

    add = actions.add_parser("add", help="silence a stance ('*' for every stance)")
    add.add_argument("stance", help="a stance id from the rules, or '*'")
    add.add_argument("--for", dest="duration", required=True, help="how long: 90m, 6h, 2d, 1w")
    add.add_argument("--reason", required=True, help="why (shown with every suppressed alert)")
    config_arg(add)
    add.set_defaults(func=cmd_add)

    listing = actions.add_parser("list", help="active silences (with --all, ended ones too)")
    listing.add_argument("--all", action="store_true")
    config_arg(listing)
    listing.set_defaults(func=cmd_list)

    remove = actions.add_parser("remove", help="end a silence now")
    remove.add_argument("silence_id", type=int)
    config_arg(remove)
    remove.set_defaults(func=cmd_remove)


def describe(s: Silence, now: datetime) -> str:
    if s.removed_at is not None:
        state = f"removed {s.removed_at:%Y-%m-%d %H:%M} UTC"
    elif s.ends_at <= now:
        state = f"ended {s.ends_at:%Y-%m-%d %H:%M} UTC"
    else:
        left = format_duration(max(60.0, (s.ends_at - now).total_seconds() // 60 * 60))
        state = f"until {s.ends_at:%Y-%m-%d %H:%M} UTC ({left} left)"
    return f"silence {s.silence_id}: {s.stance_id} {state}: {s.reason}"


def cmd_add(args: argparse.Namespace) -> int:
    from monitor.engine import load_rules
    from monitor.store import Store

    try:
        seconds = parse_duration(args.duration)
    except ValueError as exc:
        print(f"error: --for: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if seconds <= 0:
        print("error: --for: a silence must last longer than nothing", file=sys.stderr)
        return EXIT_INVALID
    config = load_config(args.config)
    if args.stance != ALL_STANCES:
        known = sorted(s.id for s in load_rules(Path(config.rules), Path(config.seeds)))
        if args.stance not in known:
            print(f"error: no stance {args.stance!r} (have: {', '.join(known)}, or '*')", file=sys.stderr)
            return EXIT_INVALID
    now = datetime.now(UTC)
    with Store(config.database) as store:
        silence = store.add_silence(
            args.stance, starts_at=now, ends_at=now + timedelta(seconds=seconds), reason=args.reason, now=now
        )
    print(describe(silence, now))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from monitor.store import Store

    config = load_config(args.config)
    now = datetime.now(UTC)
    with Store(config.database) as store:
        silences = store.silences(now, include_ended=args.all)
    for silence in silences:
        print(describe(silence, now))
    if not silences:
        print("no silences" if args.all else "no active silences")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    from monitor.store import Store

    config = load_config(args.config)
    with Store(config.database) as store:
        removed = store.remove_silence(args.silence_id, datetime.now(UTC))
    if not removed:
        print(f"error: no active silence {args.silence_id}", file=sys.stderr)
        return EXIT_FAILED
    print(f"silence {args.silence_id} removed: alerts on its stance are sent again")
    return EXIT_OK
