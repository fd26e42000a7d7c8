"""Machine formats of a check run: JSON (the result contract), CSV, JUnit XML, Markdown."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

from watchkeeper.queries.evidence import failed_link_of
from watchkeeper.queries.results import STATUS_ORDER, CheckRun, Result

FORMATS = ("json", "csv", "junit", "markdown")


def to_json(run: CheckRun) -> str:
    return json.dumps(run.to_json(), indent=2, default=str, ensure_ascii=False) + "\n"


def _safe_cell(value: object) -> str:
    """Neutralise spreadsheet formula injection: a cell must not start with = + - @."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


CSV_COLUMNS = (
    "benchmark",
    "control_id",
    "topic",
    "title",
    "account_id",
    "region",
    "resource",
    "status",
    "reason",
    "failed_link",
    "snapshot_id",
)


def to_csv(run: CheckRun) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in run.results:
        writer.writerow(
            _safe_cell(v)
            for v in (
                r.benchmark,
                r.control_id,
                r.topic,
                r.title,
                r.account_id,
                r.region,
                r.resource,
                r.status,
                r.reason,
                failed_link_of(r.evidence),
                r.evidence["snapshot_id"],
            )
        )
    return buf.getvalue()


def to_junit(run: CheckRun) -> str:
    """One testsuite per control, one testcase per account: fail → failure, error → error,
    manual → skipped (with the attestation), so CI systems gate on real failures only."""
    counts = run.counts()
    root = ET.Element(
        "testsuites",
        name=f"watchkeeper {run.benchmark}",
        tests=str(len(run.results)),
        failures=str(counts["fail"]),
        errors=str(counts["error"]),
        skipped=str(counts["manual"]),
        timestamp=run.checked_at.isoformat(timespec="seconds"),
    )
    by_control: dict[str, list[Result]] = {}
    for r in run.results:
        by_control.setdefault(r.control_id, []).append(r)
    for control_id, results in by_control.items():
        c = {s: sum(1 for r in results if r.status == s) for s in ("fail", "error", "manual")}
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{run.benchmark} {control_id} {results[0].title}",
            tests=str(len(results)),
            failures=str(c["fail"]),
            errors=str(c["error"]),
            skipped=str(c["manual"]),
            timestamp=run.checked_at.isoformat(timespec="seconds"),
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="snapshot_id", value=str(run.snapshot.id))
        ET.SubElement(props, "property", name="snapshot_sha256", value=str(run.snapshot.sha256))
        ET.SubElement(props, "property", name="profile", value=run.profile)
        for r in results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{run.benchmark}.{r.control_id}",
                name=f"{r.control_id} {r.topic} [{r.account_id}]",
            )
            if r.status == "fail":
                ET.SubElement(case, "failure", message=r.reason, type="fail").text = r.reason
            elif r.status == "error":
                ET.SubElement(case, "error", message=r.reason, type="error").text = r.reason
            elif r.status == "manual":
                ET.SubElement(case, "skipped", message=r.reason)
            ET.SubElement(case, "system-out").text = json.dumps(
                r.evidence, indent=2, default=str, ensure_ascii=False
            )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _md(text: object) -> str:
    """Escape what Markdown tables and inline HTML would interpret."""
    out = "" if text is None else str(text)
    for ch in ("\\", "|", "`", "*", "_", "[", "]", "<", ">"):
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", " ")


_ICON = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "manual": "MANUAL"}


def to_markdown(run: CheckRun) -> str:
    counts = run.counts()
    lines = [
        f"## watchkeeper: {run.benchmark} ({run.profile} profile)",
        "",
        f"Snapshot {run.snapshot.id} collected {run.snapshot.collected_at:%Y-%m-%d %H:%M UTC}, "
        f"sha256 `{run.snapshot.sha256}`; results sha256 `{run.digest()}`.",
        "",
        " · ".join(f"**{n}** {s}" for s, n in counts.items()),
        "",
        "| Control | Account | Status | Reason |",
        "|---|---|---|---|",
    ]
    for r in sorted(
        run.results, key=lambda r: (STATUS_ORDER[r.status], r.control_id, r.account_id)
    ):
        lines.append(
            f"| {_md(r.control_id)} {_md(r.title)} | {_md(r.account_id)} | "
            f"{_ICON[r.status]} | {_md(r.reason)} |"
        )
    return "\n".join(lines) + "\n"


RENDERERS = {"json": to_json, "csv": to_csv, "junit": to_junit, "markdown": to_markdown}


def render(run: CheckRun, fmt: str) -> str:
    return RENDERERS[fmt](run)
