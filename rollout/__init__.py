"""Real previews, updates, drift checks and retirements of the fleet through Pulumi's Automation API.

``python -m rollout preview|up|drift SITE ... | --all``, ``retire SITE`` and ``move-bootstrap-state``:
the sibling of ``python -m preflight`` (the offline check) for people who run the fleet without the
deploy workflow. Needs the Pulumi CLI and credentials.
"""
