"""Judging a site: the real policy pack over the Analyzer protocol, the check, the fleet, the verdict cache."""
