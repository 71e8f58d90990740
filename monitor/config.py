"""The configuration file (``monitor.yaml``): strict models, defaults in one place, secrets from ``${ENV}``.

Loading reads the file and the environment once; everything else receives a ``Config`` value. Every problem
(unknown key, wrong type, missing variable, duplicate name) is reported together with file, line and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from monitor.durations import parse_duration
from monitor.errors import ConfigError, Problem
from monitor.schedule import check_schedule
from monitor.yamlsrc import SourceMap, env_from_os, expand_env, load_yaml, validate

DEFAULT_CONFIG = Path("monitor.yaml")
DEFAULT_DATABASE = "sqlite:///var/monitor.db"
DEFAULT_INTERVAL = 900.0
DEFAULT_USER_AGENT = "stance-monitor/0.1 (+https://github.com/stance-monitor/stance-monitor)"

Seconds = Annotated[
    float, BeforeValidator(lambda v: parse_duration(v) if isinstance(v, str | int | float) else v)
]
Schedule = Annotated[str, AfterValidator(check_schedule)]  # a digest: "1h" or a cron expression (UTC)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class FeedConfig(Strict):
    url: str
    name: str | None = None
    interval: Seconds | None = None
    voice: str | None = None  # the holder whose own channel this feed is (e.g. "EU" for the EEAS press feed)
    full_text: bool = False  # fetch each new item's linked article and judge its main text too

    @property
    def label(self) -> str:
        return self.name or self.url


class ConsoleChannelConfig(Strict):
    name: str
    type: Literal["console"]
    digest: Schedule | None = None


class FileChannelConfig(Strict):
    name: str
    type: Literal["file"]
    path: str = "var/alerts.jsonl"
    digest: Schedule | None = None


class WebhookChannelConfig(Strict):
    name: str
    type: Literal["webhook"]
    url: str
    timeout: Seconds = 10.0
    headers: dict[str, str] = Field(default_factory=dict)
    secret: str | None = Field(default=None, min_length=16)  # signs each request (X-Stance-Signature-256)
    format: Literal["json", "slack"] = "json"
    digest: Schedule | None = None

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("a webhook url must start with http:// or https://")
        return v


class EmailChannelConfig(Strict):
    name: str
    type: Literal["email"]
    host: str
    port: int = 25
    sender: str = Field(alias="from")
    to: list[str]
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: Seconds = 30.0
    digest: Schedule | None = None

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


ChannelConfig = Annotated[
    ConsoleChannelConfig | FileChannelConfig | WebhookChannelConfig | EmailChannelConfig,
    Field(discriminator="type"),
]


class PollingConfig(Strict):
    """``polling:``: limits, politeness and feed health. Defaults suit hundreds of feeds on a small machine."""

    per_host: int = Field(default=2, ge=1, le=64)  # feeds of one host fetched at the same time
    timeout: Seconds = 20.0  # each network operation (connect, each read)
    total_timeout: Seconds | None = None  # a whole fetch, first byte to last; default 3 × timeout
    max_bytes: int = Field(default=10_000_000, ge=1000)  # a response body, after decompression
    retry_base: Seconds = 60.0  # first retry of a failing feed (never later than its interval)
    retry_max: Seconds = 6 * 3600.0  # backoff cap (never below the feed's interval)
    jitter: float = Field(default=0.2, ge=0.0, le=1.0)  # retries spread by ± this fraction
    max_interval: Seconds = 86400.0  # cap on what Cache-Control, Expires, <ttl> and Retry-After may ask
    source_down_after: Seconds = 6 * 3600.0  # failing this long raises a "source down" notice
    parse_processes: int | None = Field(default=None, ge=0, le=64)  # None: one per core when many feeds


class AlertsConfig(Strict):
    """``alerts:``: what becomes a message, and what happens when one cannot be delivered."""

    fallback: str | None = None  # a channel told when a delivery goes dead (gives up)
    cooldown: Seconds = 6 * 3600.0  # one alert per stance per cooldown, unless the grade rises
    story_window: Seconds = 48 * 3600.0  # a shift this close to an alert's may be the same story
    story_similarity: float = Field(default=0.5, ge=0.0, le=1.0)  # token-set Jaccard of evidence sentences
    max_age: Seconds = 24 * 3600.0  # a failing delivery is retried this long, then dead


class Config(Strict):
    database: str = DEFAULT_DATABASE
    rules: str = "rules"
    templates: str = "templates"
    seeds: str = "seeds"
    interval: Seconds = DEFAULT_INTERVAL  # default for feeds without their own
    workers: int = Field(default=4, ge=1, le=64)
    user_agent: str = DEFAULT_USER_AGENT
    feeds: list[FeedConfig] = Field(default_factory=list)
    channels: list[ChannelConfig] = Field(default_factory=list)
    polling: PollingConfig = Field(default_factory=PollingConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)

    def feed_interval(self, feed: FeedConfig) -> float:
        return feed.interval if feed.interval is not None else self.interval

    def channel(self, name: str) -> ChannelConfig:
        for ch in self.channels:
            if ch.name == name:
                return ch
        raise KeyError(name)


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make relative paths in the file relative to the file's folder, not to the working directory."""
    out = dict(data)
    for key in ("rules", "templates", "seeds"):
        value = out.get(key, Config.model_fields[key].default)
        if isinstance(value, str) and not Path(value).is_absolute():
            out[key] = str(base / value)
    db = out.get("database", DEFAULT_DATABASE)
    if isinstance(db, str) and db.startswith("sqlite:///") and not db.startswith("sqlite:////"):
        rel = db[len("sqlite:///") :]
        if rel and rel != ":memory:":
            out["database"] = "sqlite:///" + str(base / rel)
    channels = out.get("channels")
    if isinstance(channels, list):
        fixed = []
        for ch in channels:
            if isinstance(ch, dict) and ch.get("type") == "file":
                ch = dict(ch)
                path = ch.get("path", FileChannelConfig.model_fields["path"].default)
                if isinstance(path, str) and not Path(path).is_absolute():
                    ch["path"] = str(base / path)
            fixed.append(ch)
        out["channels"] = fixed
    feeds = out.get("feeds")
    if isinstance(feeds, list):
        fixed = []
        for feed in feeds:
            if isinstance(feed, dict) and isinstance(feed.get("url"), str):
                url = feed["url"]
                if "://" not in url and not Path(url).is_absolute():
                    feed = {**feed, "url": str(base / url)}
            fixed.append(feed)
        out["feeds"] = fixed
    return out


def _check_names(raw: dict[str, Any], smap: SourceMap, problems: list[Problem]) -> None:
    """Channel and feed names must be unique (checked on the raw data, so it is reported with the rest)."""
    for kind in ("channels", "feeds"):
        entries = raw.get(kind)
        if not isinstance(entries, list):
            continue
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            name = entry.get("name") or (entry.get("url") if kind == "feeds" else None)
            if not isinstance(name, str):
                continue
            if name in seen:
                problems.append(smap.problem((kind, i, "name"), f"duplicate name {name!r}"))
            seen.add(name)


def load_config(path: Path = DEFAULT_CONFIG, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration file; raise ConfigError listing every problem."""
    problems: list[Problem] = []
    raw, smap = load_yaml(path, problems)
    if problems:
        raise ConfigError(problems)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([Problem(str(path), 1, "", "the configuration must be a mapping of keys")])
    raw = expand_env(raw, smap, problems, env if env is not None else env_from_os())
    config = validate(Config, _resolve_paths(raw, path.resolve().parent), smap, problems)
    _check_names(raw, smap, problems)
    fallback = config.alerts.fallback if config is not None else None
    if config is not None and fallback is not None and fallback not in {c.name for c in config.channels}:
        problems.append(smap.problem(("alerts", "fallback"), f"no channel named {fallback!r}"))
    if problems or config is None:
        raise ConfigError(problems)
    return config


def redact(text: str, config: Config) -> str:
    """Remove every secret the configuration holds from ``text`` (for logs and error messages)."""
    for ch in config.channels:
        if isinstance(ch, EmailChannelConfig) and ch.password:
            text = text.replace(ch.password, "***")
        if isinstance(ch, WebhookChannelConfig):
            if ch.secret:
                text = text.replace(ch.secret, "***")
            for value in ch.headers.values():
                if len(value) >= 4:
                    text = text.replace(value, "***")
    return text
