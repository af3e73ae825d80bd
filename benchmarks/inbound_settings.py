"""Aftercare's settings with ``benchmarks.inbound_site`` as the URLs (``bench_inbound.py``)."""

from aftercare.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.inbound_site"
