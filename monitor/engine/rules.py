"""Rule files and seed documents, validated strictly and compiled into ``Stance`` values. Reads files; no other I/O.

A rule file describes one baseline stance (see docs/rules.md). Loading checks every file and reports every
problem together, each with file, line and key: unknown keys, wrong types, duplicate ids, cues that do not
compile, channels the configuration does not define, seeds that do not exist, and evidence quotes that do not
occur verbatim in their seed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.engine.lexicon import ENGINE_TERMS
from monitor.engine.patterns import (
    PatternError,
    alternation_source,
    compile_cue,
    normalize,
    start_keys,
    starts_regex,
)
from monitor.errors import Problem, RuleError
from monitor.models import Label
from monitor.yamlsrc import PathKey, SourceMap, load_yaml, validate

Baseline = Literal["supports", "opposes"]
_OWN_NEGATION = re.compile(r"(?<![\w-])(?:not|no|never|n't|\w+n't|cannot|without|nor|no longer)(?![\w-])")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
HOLDERS_FILE = "_holders.yaml"
CUES_FILE = "_cues.yaml"
_STOPWORDS = {
    "the",
    "a",
    "an",
    "of",
    "in",
    "on",
    "to",
    "and",
    "for",
    "with",
    "by",
    "at",
    "as",
    "its",
    "their",
}


# ---------------------------------------------------------------- the file format (strict pydantic models)
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _HolderSpec(_Strict):
    name: str
    aliases: list[str] = Field(default_factory=list)
    not_: list[str] = Field(default_factory=list, alias="not")


class _HolderAliases(_Strict):
    aliases: list[str] = Field(default_factory=list)
    not_: list[str] = Field(default_factory=list, alias="not")


class _QuoteSpec(_Strict):
    seed: str
    quote: str


class _CueSpec(_Strict):
    use: list[str] = Field(default_factory=list)  # cue sets from _cues.yaml, before the rule's own cues
    supports: list[str] = Field(default_factory=list)  # phrases that assert the proposition
    opposes: list[str] = Field(default_factory=list)  # phrases that assert its opposite
    restates: list[str] = Field(default_factory=list)  # stock restatements of the baseline, hedged or not
    ignore: list[str] = Field(
        default_factory=list
    )  # phrases that cancel any cue they overlap ("US sanctions")


class _ExampleSpec(_Strict):
    text: str
    title: str = ""
    expect: Literal["shift", "hold", "none"]
    grade: str | None = None
    voice: str | None = None
    note: str = ""


class _HoldersSpec(_Strict):
    holders: dict[str, _HolderAliases]


class _CueSet(_Strict):
    terms: dict[str, list[str]] = Field(default_factory=dict)
    supports: list[str] = Field(default_factory=list)
    opposes: list[str] = Field(default_factory=list)
    restates: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)


class _CueSetsSpec(_Strict):
    cue_sets: dict[str, _CueSet]


class _RuleSpec(_Strict):
    id: str
    holder: _HolderSpec | str  # a name defined in _holders.yaml, or a full definition
    topic: list[list[str]] = Field(min_length=1)
    off_topic: list[str] = Field(
        default_factory=list
    )  # a sentence naming one of these is about something else
    off_topic_unless: list[str] = Field(
        default_factory=list
    )  # an item naming off-topic terms and none of these
    requests_to_others: Literal["ignore", "count"] = (
        "ignore"  # "X urged Y to <cue>": Y's act, not the holder's
    )
    proposition: str
    baseline: Baseline
    evidence: list[_QuoteSpec] = Field(min_length=1)
    terms: dict[str, list[str]] = Field(default_factory=dict)
    cues: _CueSpec
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    channels: list[str] = Field(default_factory=list)
    template: str | None = None
    description: str = ""
    examples: list[_ExampleSpec] = Field(default_factory=list)

    @field_validator("topic", mode="before")
    @classmethod
    def _groups(cls, v: object) -> object:
        # `topic: [Crimea, peninsula]` is one group; a list of lists is several groups that must all match.
        if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
            return [v]
        return v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("an id is lower-case letters, digits and dashes, e.g. eu-crimea-nonrecognition")
        return v


# ---------------------------------------------------------------- compiled values
@dataclass(frozen=True)
class Seed:
    name: str  # file name inside the seeds folder
    source: str
    date: str
    speaker: str
    title: str
    text: str


@dataclass(frozen=True)
class Quote:
    seed: Seed
    text: str


@dataclass(frozen=True)
class Example:
    text: str
    title: str
    expect: Label
    grade: str | None
    voice: str | None
    note: str
    line: int | None


@dataclass(frozen=True)
class Stance:
    """A compiled rule: what the engine needs, plus what alerts show."""

    id: str
    holder: str
    holder_re: re.Pattern[str]  # any alias of the holder
    not_holder_re: re.Pattern[str] | None  # look-alikes that are not the holder ("US House")
    topic_res: tuple[re.Pattern[str], ...]  # every group must match somewhere in the item
    off_topic_re: re.Pattern[str] | None  # cues in a sentence that names one of these are ignored
    core_re: re.Pattern[str] | None  # an item naming an off-topic term and none of these is off topic
    requests_to_others: str  # "ignore": a cue asked of another actor is not the holder's act; "count": it is
    index_terms: tuple[str, ...]  # lower-case words that route an item to this stance
    proposition: str
    baseline: Baseline
    evidence: tuple[Quote, ...]
    cues_re: re.Pattern[str] | None  # every cue, one named group per kind: restates, supports, opposes
    cue_starts_re: re.Pattern[str] | None  # the words any cue can start with (None: try cues at every word)
    # Each kind's cues in order, as (regex source, whether the cue itself says "not"): to tell which cue a
    # match is, when a negator falls inside its gap ("sanctions would not be lifted").
    cue_forms: dict[str, tuple[tuple[str, bool], ...]]
    ignore_re: re.Pattern[str] | None  # a cue overlapping one of these is not read
    severity: str
    channels: tuple[str, ...]
    template: str | None
    examples: tuple[Example, ...]
    file: str

    @property
    def quote(self) -> Quote:
        return self.evidence[0]


# ---------------------------------------------------------------- seeds
def load_seed(path: Path) -> Seed:
    """Read a seed document: optional YAML front matter between '---' lines, then the text."""
    raw = path.read_text(encoding="utf-8")
    meta: dict[str, object] = {}
    text = raw
    if raw.startswith("---\n"):
        end = raw.find("\n---\n", 4)
        if end != -1:
            loaded = yaml.safe_load(raw[4:end]) or {}
            meta = loaded if isinstance(loaded, dict) else {}
            text = raw[end + 5 :]
    return Seed(
        name=path.name,
        source=str(meta.get("source", "")),
        date=str(meta.get("date", "")),
        speaker=str(meta.get("speaker", "")),
        title=str(meta.get("title", "")),
        text=text,
    )


def _squash(text: str) -> str:
    return " ".join(normalize(text).split())


# ---------------------------------------------------------------- loading
def _alias_regex(aliases: list[str]) -> re.Pattern[str]:
    body = "|".join(
        re.escape(_squash(a)).replace(r"\ ", r"\s+") for a in sorted(aliases, key=len, reverse=True)
    )
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")  # "Crimea-related", "US-Russia-Ukraine talks" mention them


def _index_terms(spec: _RuleSpec) -> tuple[str, ...]:
    """The words that route an item to this stance: the longest word of each term of its first topic group.

    Every topic group must match for a verdict other than none, so an item without any of these words
    cannot concern the stance and is never judged against it.
    """
    words = set()
    for phrase in spec.topic[0]:
        found = [w for w in re.findall(r"[a-z0-9]+", _squash(phrase)) if w not in _STOPWORDS]
        if found:
            words.add(max(found, key=len))
    return tuple(sorted(words))


def _cues_regex(sources: dict[str, tuple[str, ...]]) -> re.Pattern[str] | None:
    """One scan finds every cue: where kinds start at the same place, a restatement wins, then the longer."""
    kinds = [(k, sources[k]) for k in ("restates", "supports", "opposes") if sources[k]]
    if not kinds:
        return None
    return re.compile("|".join(alternation_source(listed, group=kind) for kind, listed in kinds))


def _starts(cues: dict[str, tuple[str, ...]], terms: dict[str, tuple[str, ...]]) -> re.Pattern[str] | None:
    firsts = [start_keys(c, terms) for k in ("restates", "supports", "opposes") for c in cues[k]]
    if not firsts or any(f is None for f in firsts):
        return None
    return starts_regex({w for f in firsts if f is not None for w in f})


def _compile(
    spec: _RuleSpec,
    file: Path,
    smap: SourceMap,
    seeds: dict[str, Seed],
    holders: dict[str, _HolderAliases],
    cue_sets: dict[str, _CueSet | None],
    problems: list[Problem],
) -> Stance | None:
    start = len(problems)
    if isinstance(spec.holder, str):
        if spec.holder not in holders:
            known = ", ".join(sorted(holders)) or "none"
            problems.append(
                smap.problem(
                    ("holder",), f"holder {spec.holder!r} is not defined in {HOLDERS_FILE} (defined: {known})"
                )
            )
            return None
        shared = holders[spec.holder]
        holder = _HolderSpec(name=spec.holder, aliases=shared.aliases, **{"not": shared.not_})
    else:
        holder = spec.holder
    used: list[_CueSet] = []
    for i, name in enumerate(spec.cues.use):
        if name not in cue_sets:
            known = ", ".join(sorted(cue_sets)) or "none"
            problems.append(
                smap.problem(
                    ("cues", "use", i), f"cue set {name!r} is not defined in {CUES_FILE} (defined: {known})"
                )
            )
        elif (found := cue_sets[name]) is not None:  # None: broken, and reported where it is defined
            used.append(found)
    unresolved = len(used) != len(spec.cues.use)
    terms = dict(ENGINE_TERMS)
    for cue_set in used:
        terms.update({k: tuple(v) for k, v in cue_set.terms.items()})
    terms.update({k: tuple(v) for k, v in spec.terms.items()})
    cues: dict[str, tuple[str, ...]] = {}
    sources: dict[str, tuple[str, ...]] = {}  # each cue compiled once, to regex source
    for kind in ("supports", "opposes", "restates", "ignore"):  # each cue compiles, or the rule says which
        own: list[str] = getattr(spec.cues, kind)
        own_sources = []
        for i, cue in enumerate(own):
            try:
                own_sources.append(compile_cue(cue, terms))  # valid regex source: no re.compile per cue
            except PatternError as exc:
                problems.append(smap.problem(("cues", kind, i), f"cue {cue!r} does not compile: {exc}"))
        from_sets = tuple(c for cue_set in used for c in getattr(cue_set, kind))
        cues[kind] = (*from_sets, *own)
        if len(problems) == start:
            try:
                sources[kind] = (*(compile_cue(c, terms) for c in from_sets), *own_sources)
            except PatternError as exc:  # a shared cue broken by one of this rule's own terms
                problems.append(
                    smap.problem(("terms",), f"the rule's terms break a shared {kind} cue: {exc}")
                )
    if not cues["supports"] and not cues["opposes"] and not unresolved:
        problems.append(smap.problem(("cues",), "a rule needs at least one 'supports' or 'opposes' cue"))
    topic_res = []
    for g, group in enumerate(spec.topic):
        if not group:
            problems.append(smap.problem(("topic", g), "a topic group needs at least one term"))
            continue
        topic_res.append(_alias_regex(group))
    quotes = []
    for i, ev in enumerate(spec.evidence):
        seed = seeds.get(ev.seed)
        if seed is None:
            problems.append(
                smap.problem(("evidence", i, "seed"), f"seed {ev.seed!r} not found in the seeds folder")
            )
            continue
        if _squash(ev.quote) not in _squash(seed.text):
            problems.append(
                smap.problem(
                    ("evidence", i, "quote"), f"rule {spec.id}: quote not found verbatim in seed {ev.seed}"
                )
            )
            continue
        quotes.append(Quote(seed=seed, text=ev.quote))
    if len(problems) != start:
        return None
    examples = tuple(
        Example(e.text, e.title, e.expect, e.grade, e.voice, e.note, smap.line(("examples", i)))
        for i, e in enumerate(spec.examples)
    )
    return Stance(
        id=spec.id,
        holder=holder.name,
        holder_re=_alias_regex([holder.name, *holder.aliases]),
        not_holder_re=_alias_regex(holder.not_) if holder.not_ else None,
        topic_res=tuple(topic_res),
        off_topic_re=_alias_regex(spec.off_topic) if spec.off_topic else None,
        core_re=_alias_regex(spec.off_topic_unless) if spec.off_topic_unless else None,
        requests_to_others=spec.requests_to_others,
        index_terms=_index_terms(spec),
        proposition=spec.proposition,
        baseline=spec.baseline,
        evidence=tuple(quotes),
        cues_re=_cues_regex(sources),
        cue_starts_re=_starts(cues, terms),
        cue_forms={
            kind: tuple(zip(sources[kind], (bool(_OWN_NEGATION.search(c)) for c in cues[kind]), strict=True))
            for kind in ("supports", "opposes")
        },
        ignore_re=re.compile(alternation_source(sources["ignore"])) if sources["ignore"] else None,
        severity=spec.severity,
        channels=tuple(spec.channels),
        template=spec.template,
        examples=examples,
        file=str(file),
    )


def load_rules(
    rules_dir: Path, seeds_dir: Path, channel_names: Collection[str] | None = None
) -> list[Stance]:
    """Load every ``*.yaml`` rule under ``rules_dir``; raise RuleError listing every problem found."""
    problems: list[Problem] = []
    if not rules_dir.is_dir():
        raise RuleError([Problem(str(rules_dir), None, "", "rules folder not found")])
    seeds = (
        {p.name: load_seed(p) for p in sorted(seeds_dir.glob("*")) if p.is_file()}
        if seeds_dir.is_dir()
        else {}
    )
    stances: list[Stance] = []
    first_file: dict[str, tuple[str, int | None]] = {}
    holders = _load_holders(rules_dir / HOLDERS_FILE, problems)
    cue_sets = _load_cue_sets(rules_dir / CUES_FILE, problems)
    files = sorted(
        f for f in [*rules_dir.glob("*.yaml"), *rules_dir.glob("*.yml")] if not f.name.startswith("_")
    )
    if not files:
        raise RuleError([Problem(str(rules_dir), None, "", "no rule files (*.yaml) in the rules folder")])
    for file in files:
        raw, smap = load_yaml(file, problems)
        if raw is None:
            if not any(p.file == str(file) for p in problems):
                problems.append(Problem(str(file), None, "", "empty rule file"))
            continue
        spec = validate(_RuleSpec, raw, smap, problems)
        if spec is None:
            continue
        if spec.id in first_file:
            other, line = first_file[spec.id]
            problems.append(smap.problem(("id",), f"duplicate id {spec.id!r} (also in {other}:{line})"))
            continue
        first_file[spec.id] = (str(file), smap.line(("id",)))
        if channel_names is not None:
            for i, ch in enumerate(spec.channels):
                if ch not in channel_names:
                    problems.append(
                        smap.problem(
                            _key("channels", i), f"channel {ch!r} is not defined in the configuration"
                        )
                    )
        stance = _compile(spec, file, smap, seeds, holders, cue_sets, problems)
        if stance is not None:
            stances.append(stance)
    if problems:
        raise RuleError(problems)
    return stances


def _load_holders(path: Path, problems: list[Problem]) -> dict[str, _HolderAliases]:
    """Holders shared by several rules (``rules/_holders.yaml``): ``holders: {EU: {aliases: [...], not: [...]}}``."""
    if not path.exists():
        return {}
    raw, smap = load_yaml(path, problems)
    spec = validate(_HoldersSpec, raw, smap, problems) if raw is not None else None
    return dict(spec.holders) if spec else {}


def _load_cue_sets(path: Path, problems: list[Problem]) -> dict[str, _CueSet | None]:
    """Cue lists shared by several rules (``rules/_cues.yaml``): ``cue_sets: {NAME: {terms:, supports:, ...}}``.

    Each set's cues are checked here, against the engine's terms and the set's own, and a broken one is
    reported at its line in this file; a broken set maps to None so rules using it do not repeat the error.
    """
    if not path.exists():
        return {}
    raw, smap = load_yaml(path, problems)
    spec = validate(_CueSetsSpec, raw, smap, problems) if raw is not None else None
    if spec is None:
        return {}
    sets: dict[str, _CueSet | None] = {}
    for name, cue_set in spec.cue_sets.items():
        terms = {**ENGINE_TERMS, **{k: tuple(v) for k, v in cue_set.terms.items()}}
        start = len(problems)
        for kind in ("supports", "opposes", "restates", "ignore"):
            for i, cue in enumerate(getattr(cue_set, kind)):
                try:
                    compile_cue(cue, terms)
                except PatternError as exc:
                    key = ("cue_sets", name, kind, i)
                    problems.append(smap.problem(key, f"cue {cue!r} does not compile: {exc}"))
        sets[name] = cue_set if len(problems) == start else None
    return sets


def _key(*parts: str | int) -> PathKey:
    return tuple(parts)
