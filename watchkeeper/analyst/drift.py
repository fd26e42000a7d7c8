"""Former home of diff and timeline, now analyst.diff, analyst.timeline and watchkeeper.svg."""

# compat shim: removed when reports/model is migrated (lead's merge)
from watchkeeper.analyst.diff import DriftError as DriftError
from watchkeeper.analyst.diff import SnapshotDiff as SnapshotDiff
from watchkeeper.analyst.diff import diff as diff
from watchkeeper.analyst.timeline import TimelineData as TimelineData
from watchkeeper.analyst.timeline import find_gaps as find_gaps
from watchkeeper.analyst.timeline import timeline_section as timeline_section
