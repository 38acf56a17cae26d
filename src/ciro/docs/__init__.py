"""The documentation stage: a static site (overview, resistance map, schema reference, term, publication and
competency-question pages, search) written from the release."""

from .model import DocsError
from .resistance_map import GraphvizMissing
from .site import README_IMAGE, SiteReport, build_site, readme_map_svg

__all__ = ["GraphvizMissing", "DocsError", "SiteReport", "build_site", "readme_map_svg", "README_IMAGE"]
