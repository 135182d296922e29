"""The site program's side: the stack-file model and the composition of one hospital site.

:mod:`program.config` reads and validates a stack's ``Pulumi.<site>.yaml`` (``SiteConfig``), and
:mod:`program.site` composes one hospital site (``ImagingSite``) from it out of the reusable components.
``__main__.py`` and the repository's tools (preflight, rollout, bench) use them; the components library
(``components/``, published as ``imaging_landing_zone.components``) imports nothing from here, and the
wheel does not ship this package (ADR 0018).
"""
