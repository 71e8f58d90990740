"""The ``stance-monitor`` command line. Reads files and the environment (through ``config``); prints.

Commands: ``run`` (the daemon, or ``--once``), ``check`` (dry run over a feed), ``rules check|test``,
``explain``, ``eval``, ``check-config``, ``feeds``, ``alerts [show|retry]``, ``silence``, ``render``. Exit status: 0 fine, 1 a check
failed (a rule example, a feed), 2 invalid configuration, rules or templates.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from monitor import __version__, cli_alerts, cli_feeds, cli_silence
from monitor.config import DEFAULT_CONFIG, DEFAULT_USER_AGENT, load_config
from monitor.engine import Engine, Stance, load_rules
from monitor.errors import MonitorError, ProblemsError
from monitor.models import FeedItem, Verdict

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
log = logging.getLogger("monitor")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)-7s %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        stream=sys.stderr,
    )
    logging.getLogger("apscheduler").setLevel(
        max(logging.WARNING, logging.getLogger().level)
    )  # no per-tick lines
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    if not hasattr(args, "func"):
        parser.print_help()
        return EXIT_INVALID
    try:
        return int(args.func(args))
    except ProblemsError as exc:
        kind = "configuration" if exc.__class__.__name__ == "ConfigError" else "rules"
        print(f"invalid {kind}: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID
    except MonitorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stance-monitor", description="Alert when a public actor's stance shifts."
    )
    p.add_argument("--version", action="version", version=f"stance-monitor {__version__}")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    sub = p.add_subparsers(metavar="COMMAND")

    def config_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--config", type=Path, default=DEFAULT_CONFIG, help="configuration file (default monitor.yaml)"
        )

    run = sub.add_parser("run", help="run the daemon (or one cycle with --once)")
    config_arg(run)
    run.add_argument("--once", action="store_true", help="poll every feed once, deliver, exit")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser(
        "check", help="dry run over a feed: one JSON line per (item, stance); stores nothing"
    )
    check.add_argument("feed", help="feed URL or file")
    check.add_argument(
        "--rules", type=Path, help="rules folder (default: from the configuration, else rules/)"
    )
    check.add_argument("--seeds", type=Path, help="seeds folder (default: beside the rules folder)")
    check.add_argument(
        "--routed", action="store_true", help="only the stances whose topic words the item has"
    )
    check.add_argument("--config", type=Path, help="take rules and seeds from this configuration")
    check.set_defaults(func=cmd_check)

    rules = sub.add_parser("rules", help="validate rules, or run their examples")
    rsub = rules.add_subparsers(metavar="ACTION")
    for name, func, text in (
        ("check", cmd_rules_check, "validate rule files"),
        ("test", cmd_rules_test, "run every rule's examples"),
    ):
        sp = rsub.add_parser(name, help=text)
        sp.add_argument("dir", nargs="?", type=Path, default=Path("rules"))
        sp.add_argument("--seeds", type=Path, help="seeds folder (default: beside the rules folder)")
        sp.set_defaults(func=func)

    explain = sub.add_parser("explain", help="show step by step how a verdict is reached")
    explain.add_argument("--stance", required=True, help="stance id")
    src = explain.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the item's text")
    src.add_argument("--file", type=Path, help="a file holding the item's text")
    src.add_argument("--feed", help="a feed URL or file: explain its items")
    explain.add_argument("--title", default="", help="the item's title (with --text or --file)")
    explain.add_argument("--rules", type=Path, default=Path("rules"))
    explain.add_argument("--seeds", type=Path)
    explain.set_defaults(func=cmd_explain)

    ev = sub.add_parser("eval", help="score the rules against labelled cases")
    ev.add_argument("cases", type=Path)
    ev.add_argument("--rules", type=Path, default=Path("rules"))
    ev.add_argument("--seeds", type=Path)
    ev.add_argument("--json", action="store_true", help="print one JSON object with figures and predictions")
    ev.set_defaults(func=cmd_eval)

    cc = sub.add_parser("check-config", help="validate configuration, rules and templates, then exit")
    config_arg(cc)
    cc.set_defaults(func=cmd_check_config)

    cli_feeds.register(sub, config_arg)
    cli_alerts.register(sub, config_arg)
    cli_silence.register(sub, config_arg)
    return p


# ---------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    import signal

    from monitor.daemon import Daemon, build_runtime, close_runtime, run_once

    def interrupted(signum: int, frame: object) -> None:  # until the daemon installs its own handlers
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    config = load_config(args.config)
    rt = build_runtime(config)
    try:
        if args.once:
            results = run_once(rt)
            bad = [r for r in results if not r.ok]
            log.info(
                "once: %d feeds polled, %d failed, %d alerts",
                len(results),
                len(bad),
                sum(r.alerts for r in results),
            )
            return EXIT_OK
        Daemon(rt).run()
        return EXIT_OK
    finally:
        close_runtime(rt)


def _seeds_for(rules: Path, seeds: Path | None) -> Path:
    return seeds if seeds is not None else rules.resolve().parent / "seeds"


def _engine(rules: Path, seeds: Path | None) -> Engine:
    return Engine(load_rules(rules, _seeds_for(rules, seeds)))


def _read_feed(source: str) -> list[FeedItem]:
    from datetime import UTC, datetime

    from monitor.fetch import Fetcher
    from monitor.parse import parse_feed

    with Fetcher(DEFAULT_USER_AGENT) as fetcher:
        result = fetcher.fetch(source)
    assert result.body is not None
    return list(parse_feed(result.body, result.headers, source, now=datetime.now(UTC)).items)


def cmd_check(args: argparse.Namespace) -> int:
    """A dry run for rule authors: judge a feed's items, print one JSON line per (item, stance), store nothing."""
    from monitor.errors import FetchError, ParseError

    rules, seeds = args.rules, args.seeds
    config_path = args.config or (DEFAULT_CONFIG if args.rules is None and DEFAULT_CONFIG.exists() else None)
    if rules is None and config_path is not None:
        config = load_config(config_path)  # an invalid configuration is an error, never silently skipped
        rules, seeds = Path(config.rules), seeds or Path(config.seeds)
    engine = _engine(rules or Path("rules"), seeds)
    try:
        items = _read_feed(args.feed)
    except (FetchError, ParseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for item in items:
        verdicts = {v.stance_id: v for v in engine.judge(item)} if args.routed else engine.judge_all(item)
        for verdict in verdicts.values():
            print(json.dumps(_verdict_json(item, verdict), ensure_ascii=False))
    return EXIT_OK


def _verdict_json(item: FeedItem, v: Verdict) -> dict[str, object]:
    return {
        "item": item.title,
        "link": item.link,
        "key": item.key,
        "stance": v.stance_id,
        "verdict": v.label,
        "grade": v.grade,
        "score": v.score,
        "sentence": v.sentence,
        "speaker": v.evidence[0].speaker if v.evidence else "",
        "reason": v.reason,
    }


def cmd_rules_check(args: argparse.Namespace) -> int:
    stances = load_rules(args.dir, _seeds_for(args.dir, args.seeds))
    examples = sum(len(s.examples) for s in stances)
    print(f"{args.dir}: {len(stances)} rules OK ({examples} examples)")
    return EXIT_OK


def run_examples(stances: Sequence[Stance]) -> list[tuple[Stance, int, str]]:
    """Every rule example whose verdict differs from its expectation: (stance, line, explanation)."""
    engine = Engine(stances)
    failures = []
    for stance in stances:
        for ex in stance.examples:
            item = FeedItem(key="example", title=ex.title, text=ex.text, voice=ex.voice)
            v = engine.judge_all(item)[stance.id]
            if v.label != ex.expect or (ex.grade is not None and v.grade != ex.grade):
                want = ex.expect + (f" ({ex.grade})" if ex.grade else "")
                got = v.label + (f" ({v.grade})" if v.grade else "")
                detail = [
                    f"expected {want}, got {got} (score {v.score:.2f})",
                    f"text: {ex.title + ' | ' if ex.title else ''}{ex.text}",
                ]
                if v.sentence:
                    detail.append(f"evidence: {v.sentence}")
                detail.append(f"reason: {v.reason}")
                failures.append((stance, ex.line or 0, "\n    ".join(detail)))
    return failures


def cmd_rules_test(args: argparse.Namespace) -> int:
    stances = load_rules(args.dir, _seeds_for(args.dir, args.seeds))
    failures = run_examples(stances)
    total = sum(len(s.examples) for s in stances)
    for stance, line, detail in failures:
        print(f"FAIL {stance.file}:{line} {stance.id}\n    {detail}")
    print(f"{total - len(failures)} passed, {len(failures)} failed")
    return EXIT_FAILED if failures else EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    engine = _engine(args.rules, args.seeds)
    try:
        engine.stance(args.stance)
    except KeyError:
        print(
            f"error: no stance {args.stance!r} (have: {', '.join(s.id for s in engine.stances)})",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if args.feed:
        items = _read_feed(args.feed)
    else:
        text = args.text if args.text is not None else args.file.read_text(encoding="utf-8")
        items = [FeedItem(key="explain", title=args.title, text=text)]
    for item in items:
        verdict = engine.judge_all(item)[args.stance]
        print(f"item: {item.title or item.text[:80]!r}")
        for step, line in enumerate(verdict.trace or (verdict.reason,), 1):
            print(f"  {step}. {line}")
        grade = f" ({verdict.grade})" if verdict.grade else ""
        print(f"  => {verdict.label}{grade}, score {verdict.score:.2f}\n")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from monitor.evaluate import evaluate, format_report, parse_cases

    try:
        raw = yaml.safe_load(args.cases.read_text(encoding="utf-8"))
        cases = parse_cases(raw)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        print(f"error: {args.cases}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    report = evaluate(_engine(args.rules, args.seeds), cases)
    print(json.dumps(report.as_json(), ensure_ascii=False, indent=1) if args.json else format_report(report))
    return EXIT_OK


def cmd_check_config(args: argparse.Namespace) -> int:
    from monitor.render import Renderer

    config = load_config(args.config)
    stances = load_rules(
        Path(config.rules), Path(config.seeds), channel_names={c.name for c in config.channels}
    )
    Renderer(
        Path(config.templates),
        digests=any(c.digest for c in config.channels),
        rule_templates={s.id: s.template for s in stances if s.template},
    ).self_check()
    print(
        f"{args.config}: OK ({len(config.feeds)} feeds, {len(config.channels)} channels, {len(stances)} rules; templates render)"
    )
    return EXIT_OK
