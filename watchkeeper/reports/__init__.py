"""Evidence reports for auditors and machine formats for tools."""

# Every format `report` writes (reports.render); here so that the command line can list them
# without loading the renderers.
REPORT_FORMATS = ("html", "pdf", "json", "csv", "junit", "markdown", "asff", "ocsf")
