"""``stance-monitor feeds``: the operator's view of feed health. Reads the database; prints."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from monitor.config import load_config

EXIT_OK, EXIT_FAILED = 0, 1
ConfigArg = Callable[[argparse.ArgumentParser], None]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_arg: ConfigArg) -> None:
    feeds = sub.add_parser("feeds", help="the state of every feed")
    config_arg(feeds)
    feeds.set_defaults(func=cmd_feeds)


def cmd_feeds(args: argparse.Namespace) -> int:
    from monitor.store import Store

    config = load_config(args.config)
    with Store(config.database) as store:
        states = store.feeds()
    print(
        f"{'feed':30} {'status':>6} {'fails':>5} {'items':>6}  {'last success':20} {'next poll':20} last error"
    )
    for f in states:
        when = f.last_success_at.strftime("%Y-%m-%d %H:%M:%S") if f.last_success_at else "never"
        nxt = f.next_poll_at.strftime("%Y-%m-%d %H:%M:%S") if f.enabled else "disabled"
        print(
            f"{f.name[:30]:30} {f.last_status or '-':>6} {f.consecutive_failures:>5} {f.items_seen:>6}  {when:20} {nxt:20} {f.last_error or ''}"
        )
    return EXIT_OK
