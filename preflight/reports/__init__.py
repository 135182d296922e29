"""What a check prints and writes: tables, JSON, SARIF, Markdown, HTML, the data-flow diagram, the
access report, exports for scanners."""
