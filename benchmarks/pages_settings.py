"""Aftercare's settings with ``benchmarks.pages_site`` as the URLs (``bench_load.py``'s server)."""

from aftercare.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.pages_site"
