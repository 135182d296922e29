"""Offline pre-deployment tooling: the site program under Pulumi's mock engine, judged by the real pack."""
