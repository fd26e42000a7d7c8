"""The CIS monitoring controls catalog: typed access to ``catalog.yaml``.

The YAML names each control once, by topic, with "from-version" maps for whatever changes
between benchmark versions (see the comment at the top of the YAML). This module validates
that file on load and flattens it into one :class:`Control` per (benchmark, topic), which is
what the SQL layer and the reports consume.

    >>> catalog = load_catalog()
    >>> catalog.find("cis-v5.0.0", "4.5").title
    'Ensure CloudTrail configuration changes are monitored'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, cast

import yaml

try:  # libyaml's parser: the pure-Python one took ~0.3 s of each command on the catalog alone
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml; the same safe constructors
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

from watchkeeper.errors import UserError
from watchkeeper.patterns import FilterPatternError, parse
from watchkeeper.queries import DEFAULT_BENCHMARK
from watchkeeper.queries.results import control_sort_key

__all__ = [
    "ASSESSMENTS",
    "DEFAULT_BENCHMARK",
    "KINDS",
    "Assessment",
    "Catalog",
    "CatalogError",
    "Control",
    "ControlVersion",
    "Intent",
    "Kind",
    "Topic",
    "control_sort_key",
    "load_catalog",
]

Kind = Literal["metric_filter_alarm", "security_hub"]
Assessment = Literal["Automated", "Manual"]
KINDS: Final[tuple[Kind, ...]] = ("metric_filter_alarm", "security_hub")
ASSESSMENTS: Final[tuple[Assessment, ...]] = ("Automated", "Manual")

_TEXT_FIELDS: Final = ("description", "rationale", "impact", "audit", "remediation")
_BENCHMARK_RE: Final = re.compile(r"^cis-v\d+\.\d+\.\d+$")
_TOPIC_RE: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_SECURITY_HUB_RE: Final = re.compile(r"^CloudWatch\.\d+$")

_TOP_KEYS: Final = frozenset({"schema", "namespace", "benchmarks", "templates", "topics"})
_TOPIC_REQUIRED: Final = frozenset(
    {"kind", "item", "since", "subject", "security_hub_id", "title", "level", "assessment"}
    | set(_TEXT_FIELDS)
)
_TOPIC_OPTIONAL: Final = frozenset({"metric_name", "namespace", "patterns", "notes", "intent"})


class CatalogError(UserError, ValueError):
    """The catalog file is invalid, or a lookup names something the catalog lacks."""


@dataclass(frozen=True, slots=True)
class Intent:
    """The event set a metric-filter control is about, scoped to its service, and why."""

    pattern: str
    reasoning: str


@dataclass(frozen=True, slots=True)
class ControlVersion:
    """What one benchmark version says about a topic."""

    benchmark: str
    control_id: str
    title: str
    level: int
    assessment: Assessment
    # First entry as published; any others are accepted alternatives. Empty for
    # Security Hub topics.
    required_patterns: tuple[str, ...]
    notes: str | None
    # What a filter must cover (None for Security Hub topics).
    intent: Intent | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """One monitoring subject (e.g. CloudTrail configuration changes) across versions."""

    key: str
    kind: Kind
    item: int
    subject: str
    security_hub_id: str | None
    metric_name: str | None
    metric_namespace: str | None
    description: str
    rationale: str
    impact: str
    audit: str
    remediation: str
    # Keyed by benchmark id, in catalog order; only versions that contain the topic.
    versions: Mapping[str, ControlVersion]


@dataclass(frozen=True, slots=True)
class Control:
    """A topic as one benchmark version states it: the flattened, report-ready view."""

    benchmark: str
    control_id: str
    topic: str
    kind: Kind
    title: str
    subject: str
    level: int
    assessment: Assessment
    required_patterns: tuple[str, ...]
    notes: str | None
    intent: Intent | None
    security_hub_id: str | None
    metric_name: str | None
    metric_namespace: str | None
    description: str
    rationale: str
    impact: str
    audit: str
    remediation: str

    @property
    def sort_key(self) -> tuple[int, ...]:
        """Numeric ordering, so 4.10 sorts after 4.9."""
        return control_sort_key(self.control_id)


@dataclass(frozen=True, slots=True)
class Catalog:
    """All topics, with lookups by benchmark version."""

    benchmark_ids: tuple[str, ...]
    topics: tuple[Topic, ...]

    @property
    def benchmarks(self) -> list[str]:
        """Supported benchmark versions, oldest first."""
        return list(self.benchmark_ids)

    def topic(self, key: str) -> Topic:
        for topic in self.topics:
            if topic.key == key:
                return topic
        known = ", ".join(t.key for t in self.topics)
        raise CatalogError(f"unknown topic {key!r}; known: {known}")

    def resolve_benchmark(self, benchmark: str) -> str:
        """Return the canonical id for ``cis-v5.0.0``, ``v5.0.0`` or ``5.0.0``."""
        text = benchmark.strip().lower()
        if not text.startswith("cis-"):
            text = "cis-" + (text if text.startswith("v") else "v" + text)
        if text in self.benchmark_ids:
            return text
        raise CatalogError(
            f"unknown benchmark version {benchmark!r}; known: {', '.join(self.benchmark_ids)}"
        )

    def controls(self, benchmark: str = DEFAULT_BENCHMARK) -> list[Control]:
        """Every control of one benchmark version, sorted by numeric id."""
        bench = self.resolve_benchmark(benchmark)
        found = [_flatten(t, t.versions[bench]) for t in self.topics if bench in t.versions]
        return sorted(found, key=lambda c: c.sort_key)

    def find(self, benchmark: str, key: str) -> Control:
        """Look a control up by id ("4.5"), topic key, or Security Hub id ("CloudWatch.5")."""
        bench = self.resolve_benchmark(benchmark)
        wanted = key.strip()
        for control in self.controls(bench):
            if wanted in (control.control_id, control.topic) or (
                control.security_hub_id is not None
                and wanted.lower() == control.security_hub_id.lower()
            ):
                return control
        ids = [c.control_id for c in self.controls(bench)]
        known = f"{ids[0]} … {ids[-1]}" if ids else "none"
        raise CatalogError(f"unknown control {key} in {bench}; known: {known}")

    def __iter__(self) -> Iterator[Topic]:
        return iter(self.topics)


def _flatten(topic: Topic, version: ControlVersion) -> Control:
    return Control(
        benchmark=version.benchmark,
        control_id=version.control_id,
        topic=topic.key,
        kind=topic.kind,
        title=version.title,
        subject=topic.subject,
        level=version.level,
        assessment=version.assessment,
        required_patterns=version.required_patterns,
        notes=version.notes,
        intent=version.intent,
        security_hub_id=topic.security_hub_id,
        metric_name=topic.metric_name,
        metric_namespace=topic.metric_namespace,
        description=topic.description,
        rationale=topic.rationale,
        impact=topic.impact,
        audit=topic.audit,
        remediation=topic.remediation,
    )


# --- loading -------------------------------------------------------------------------------


class _StrictLoader(_SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)  # resolves `<<` merge keys before we look for duplicates
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            line = key_node.start_mark.line + 1
            raise CatalogError(f"duplicate key {key!r} at line {line}")
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate the catalog; the packaged ``catalog.yaml`` unless ``path`` is given."""
    if path is None:
        source = "watchkeeper/queries/catalog.yaml"
        text = resources.files("watchkeeper.queries").joinpath("catalog.yaml").read_text("utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(f"cannot read catalog {source}: {exc.strerror}") from exc
    try:
        # A SafeLoader subclass: no arbitrary objects, only duplicate-key checking added.
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{source}: not valid YAML: {exc}") from exc
    except CatalogError as exc:
        raise CatalogError(f"{source}: {exc}") from exc
    try:
        return _build(data)
    except CatalogError as exc:
        raise CatalogError(f"{source}: {exc}") from exc


def _build(data: object) -> Catalog:
    root = _mapping(data, "catalog")
    _check_keys(root, required={"benchmarks", "topics"}, optional=_TOP_KEYS, where="catalog")
    schema = root.get("schema", 1)
    if schema != 1:
        raise CatalogError(f"unsupported schema {schema!r} (expected 1)")
    namespace = _text(root.get("namespace", "CISBenchmark"), "namespace")

    sections: dict[str, int] = {}
    for bench, spec in _mapping(root["benchmarks"], "benchmarks").items():
        if not isinstance(bench, str) or not _BENCHMARK_RE.match(bench):
            raise CatalogError(f"benchmark id {bench!r} must look like cis-v1.2.0")
        spec_map = _mapping(spec, f"benchmarks.{bench}")
        _check_keys(spec_map, {"section"}, {"section"}, f"benchmarks.{bench}")
        sections[bench] = _int(spec_map["section"], f"benchmarks.{bench}.section")
    if not sections:
        raise CatalogError("benchmarks: at least one benchmark version is required")
    order = tuple(sections)
    if list(order) != sorted(order, key=_version_key):
        raise CatalogError("benchmarks must be listed oldest first")

    topics: list[Topic] = []
    for key, spec in _mapping(root["topics"], "topics").items():
        if not isinstance(key, str) or not _TOPIC_RE.match(key):
            raise CatalogError(f"topic key {key!r} must be snake_case")
        topics.append(_build_topic(key, _mapping(spec, f"topics.{key}"), sections, namespace))
    if not topics:
        raise CatalogError("topics: at least one topic is required")

    _check_unique(topics, order)
    return Catalog(benchmark_ids=order, topics=tuple(topics))


def _build_topic(
    key: str, spec: Mapping[str, Any], sections: Mapping[str, int], default_namespace: str
) -> Topic:
    where = f"topics.{key}"
    _check_keys(spec, _TOPIC_REQUIRED, _TOPIC_REQUIRED | _TOPIC_OPTIONAL, where)
    order = tuple(sections)

    kind = spec["kind"]
    if kind not in KINDS:
        raise CatalogError(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
    item = _int(spec["item"], f"{where}.item")
    since = spec["since"]
    if since not in sections:
        raise CatalogError(f"{where}.since: {_unknown_benchmark(since, order)}")
    texts = {name: _text(spec[name], f"{where}.{name}") for name in _TEXT_FIELDS}
    subject = _text(spec["subject"], f"{where}.subject")

    hub_id = spec["security_hub_id"]
    if hub_id is not None and (not isinstance(hub_id, str) or not _SECURITY_HUB_RE.match(hub_id)):
        raise CatalogError(f"{where}.security_hub_id: {hub_id!r} must be CloudWatch.<n> or null")

    metric_name: str | None = None
    namespace: str | None = None
    if kind == "metric_filter_alarm":
        if "metric_name" not in spec:
            raise CatalogError(f"{where}: a metric_filter_alarm topic needs metric_name")
        metric_name = _text(spec["metric_name"], f"{where}.metric_name")
        namespace = _text(spec.get("namespace", default_namespace), f"{where}.namespace")
        for needed in ("patterns", "intent"):
            if needed not in spec:
                raise CatalogError(f"{where}: a metric_filter_alarm topic needs {needed}")
    else:
        for forbidden in ("patterns", "metric_name", "namespace", "intent"):
            if forbidden in spec:
                raise CatalogError(f"{where}: a {kind} topic has no {forbidden}")

    titles = _from_version(spec["title"], f"{where}.title", order)
    levels = _from_version(spec["level"], f"{where}.level", order)
    assessments = _from_version(spec["assessment"], f"{where}.assessment", order)
    patterns = _from_version(spec.get("patterns", {}), f"{where}.patterns", order)
    notes = _from_version(spec.get("notes", {}), f"{where}.notes", order)
    intents = _from_version(spec.get("intent", {}), f"{where}.intent", order)

    versions: dict[str, ControlVersion] = {}
    for bench in order[order.index(since) :]:
        at = f"{where} in {bench}"
        title = _text(_required(titles, bench, f"{at}: no title"), f"{at}: title")
        level = _required(levels, bench, f"{at}: no level")
        if isinstance(level, bool) or level not in (1, 2):
            raise CatalogError(f"{at}: level {level!r} must be 1 or 2")
        assessment = _required(assessments, bench, f"{at}: no assessment")
        if assessment not in ASSESSMENTS:
            raise CatalogError(f"{at}: assessment {assessment!r} must be Automated or Manual")
        required: tuple[str, ...] = ()
        intent: Intent | None = None
        if kind == "metric_filter_alarm":
            required = _patterns(_required(patterns, bench, f"{at}: no patterns"), at)
            intent = _intent(_required(intents, bench, f"{at}: no intent"), f"{at}: intent")
        note = notes.get(bench)
        versions[bench] = ControlVersion(
            benchmark=bench,
            control_id=f"{sections[bench]}.{item}",
            title=title,
            level=cast(int, level),
            assessment=cast(Assessment, assessment),
            required_patterns=required,
            notes=None if note is None else _text(note, f"{at}: notes"),
            intent=intent,
        )

    return Topic(
        key=key,
        kind=cast(Kind, kind),
        item=item,
        subject=subject,
        security_hub_id=hub_id,
        metric_name=metric_name,
        metric_namespace=namespace,
        versions=MappingProxyType(versions),  # read-only, like the rest of the catalog
        **texts,
    )


def _from_version(value: object, where: str, order: Sequence[str]) -> dict[str, Any]:
    """Expand a from-version map into one entry per benchmark it covers.

    ``{v1.2.0: a, v2.0.0: b}`` gives ``a`` for v1.2.0 up to (not including) v2.0.0 and ``b``
    from v2.0.0 on. Versions before the first key get nothing.
    """
    spec = _mapping(value, where)
    for bench in spec:
        if bench not in order:
            raise CatalogError(f"{where}: {_unknown_benchmark(bench, order)}")
    keys = list(spec)
    if keys != sorted(keys, key=order.index):
        raise CatalogError(f"{where}: versions must be listed oldest first")
    expanded: dict[str, Any] = {}
    current: object = None
    started = False
    for bench in order:
        if bench in spec:
            current, started = spec[bench], True
        if started:
            expanded[bench] = current
    return expanded


def _patterns(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise CatalogError(f"{where}: patterns must be a non-empty list")
    result = tuple(_text(p, f"{where}: pattern") for p in value)
    if len(set(result)) != len(result):
        raise CatalogError(f"{where}: a pattern is listed twice")
    return result


def _intent(value: object, where: str) -> Intent:
    spec = _mapping(value, where)
    _check_keys(spec, {"pattern", "reasoning"}, {"pattern", "reasoning"}, where)
    pattern = _text(spec["pattern"], f"{where}.pattern")
    try:
        parse(pattern)
    except FilterPatternError as exc:
        raise CatalogError(f"{where}.pattern: {exc}") from None
    return Intent(pattern, _text(spec["reasoning"], f"{where}.reasoning"))


def _check_unique(topics: Sequence[Topic], order: Sequence[str]) -> None:
    hub_ids: dict[str, str] = {}
    for topic in topics:
        if topic.security_hub_id is None:
            continue
        if topic.security_hub_id in hub_ids:
            other = hub_ids[topic.security_hub_id]
            raise CatalogError(
                f"security_hub_id {topic.security_hub_id} used by both {other} and {topic.key}"
            )
        hub_ids[topic.security_hub_id] = topic.key
    for bench in order:
        seen: dict[str, str] = {}
        for topic in topics:
            version = topic.versions.get(bench)
            if version is None:
                continue
            if version.control_id in seen:
                raise CatalogError(
                    f"duplicate control id {version.control_id} in {bench}: "
                    f"{seen[version.control_id]} and {topic.key}"
                )
            seen[version.control_id] = topic.key


# --- small validators ----------------------------------------------------------------------


def _mapping(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CatalogError(f"{where}: expected a mapping, got {type(value).__name__}")
    return cast(dict[str, Any], value)


def _check_keys(
    spec: Mapping[str, Any], required: AbstractSet[str], optional: AbstractSet[str], where: str
) -> None:
    missing = sorted(required - spec.keys())
    if missing:
        raise CatalogError(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(str(k) for k in spec.keys() - optional)
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(unknown)}")


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}: expected non-empty text, got {value!r}")
    return value.strip()


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CatalogError(f"{where}: expected a positive integer, got {value!r}")
    return value


def _required(values: Mapping[str, Any], bench: str, message: str) -> Any:
    if bench not in values:
        raise CatalogError(message)
    return values[bench]


def _unknown_benchmark(bench: object, order: Sequence[str]) -> str:
    return f"unknown benchmark version {bench!r}; known: {', '.join(order)}"


def _version_key(bench: str) -> tuple[int, ...]:
    return tuple(int(part) for part in bench.removeprefix("cis-v").split("."))
