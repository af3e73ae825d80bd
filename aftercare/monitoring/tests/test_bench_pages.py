"""``benchmarks/bench_pages.py`` at tiny sizes, so it cannot rot: its fill gives every page it
times something to show, every page answers 200, and each costs the same number of queries for
a practice of 5 clients as for one of 20 (the benchmark's own rule, checked on every run of the
suite rather than only when someone benchmarks)."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from aftercare.absences.models import Absence
from aftercare.imports.models import ImportJob
from aftercare.messaging.models import Message, MessageTemplate
from aftercare.practice.audit import verify_chain
from aftercare.practice.models import AuditEvent, Practice, Role
from aftercare.supplies.models import Supply
from aftercare.testing import make_user
from benchmarks import bench_pages  # the checkout's root is on the path (conftest.py)


@pytest.fixture
def bench_urls(settings):  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = "benchmarks.pages_site"


def practice_of(clients: int) -> tuple[Practice, HttpClient, dict[str, int]]:
    practice = Practice.objects.create(name=f"Bench {clients}", time_zone="UTC")
    owner = make_user(f"owner-{clients}@bench.example", "Owner", practice, Role.OWNER)
    ids = bench_pages.fill(practice, owner, clients)
    http = HttpClient(SERVER_NAME="127.0.0.1")
    http.force_login(owner)
    return practice, http, ids


@pytest.mark.django_db
def test_the_fill_gives_every_page_rows_and_a_sound_audit_chain(bench_urls) -> None:  # type: ignore[no-untyped-def]
    practice, _, ids = practice_of(20)
    assert practice.clients.count() == 21  # and the twin to merge
    assert Message.objects.filter(practice=practice, direction="in").count() == 20
    assert Message.objects.filter(practice=practice, direction="out").count() == 5
    assert AuditEvent.objects.filter(practice=practice, action="view").count() == 20
    assert verify_chain(practice.pk).ok
    assert Supply.objects.filter(practice=practice).count() == 2
    assert MessageTemplate.objects.filter(practice=practice).exists()
    assert Absence.objects.filter(pk=ids["absence"], practice=practice).exists()
    assert ImportJob.objects.filter(pk=ids["job"], practice=practice).exists()


@pytest.mark.django_db
def test_every_page_answers_and_costs_the_same_queries_at_two_sizes(bench_urls) -> None:  # type: ignore[no-untyped-def]
    counts = {}
    for clients in (5, 20):
        _, http, ids = practice_of(clients)
        signed_out = HttpClient(SERVER_NAME="127.0.0.1")
        counts[clients] = {
            page.label: bench_pages.measure(
                signed_out if page.signed_out else http, page.path, repeat=0
            )[2]
            for page in bench_pages.pages(ids, clients)
        }
    differ = {
        label: (counts[5][label], counts[20][label])
        for label in counts[5]
        if counts[5][label] != counts[20][label]
    }
    assert not differ, differ
    assert len(counts[5]) >= 50
