"""Monitoring: ``/healthz`` and ``/readyz`` for load balancers, ``/metrics`` for Prometheus."""
