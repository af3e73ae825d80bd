"""An installation made before the care app was split upgrades in place, with every row kept.

``fixtures/before_the_split.sql`` is a SQLite dump of a database made by the code just before
the split (commit a5fc532: ``aftercare migrate``, ``aftercare demo --clients 30 --seed 7``, a
calendar feed address, one ``tick`` and one ``worker --once``). The test loads it into a file,
runs ``aftercare migrate`` on it the way an operator would, and checks that every table still
holds every row and that the moved models (promises, referrals, resources, shares, care hours,
the calendar feed) read them through the ORM under their new apps. The upgrade also gives the
practice the default rules added since, such as the referral follow-up (``promises.0002``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "before_the_split.sql"

READ_BACK = """
import json
from django.contrib.contenttypes.models import ContentType
from aftercare.care.models import CareRule
from aftercare.promises.models import Promise, Referral
from aftercare.queue.models import CalendarFeed, CareHour
from aftercare.resources.models import Resource, ResourceShare

rule = CareRule.objects.select_related("resource").get(name="Sleep hygiene after a first visit")
print(json.dumps({
    "referral_rules": sorted(
        CareRule.objects.filter(trigger="referral_made").values_list("practice_id", "template_key")
    ),
    "counts": {
        model.__name__: model.objects.count()
        for model in (Promise, Referral, Resource, ResourceShare, CareHour, CalendarFeed)
    },
    "rule_resource": rule.resource.title,
    "share_titles": sorted(s.resource.title for s in ResourceShare.objects.select_related("resource")),
    "promise_clients": sorted(p.client.full_name for p in Promise.objects.select_related("client")),
    "content_types": sorted(
        f"{ct.app_label}.{ct.model}"
        for ct in ContentType.objects.filter(
            model__in=["promise", "referral", "resource", "resourceshare", "carehour", "calendarfeed"]
        )
    ),
}))
"""


def table_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - names from sqlite_master
            for table in tables
        }


def aftercare(tmp_path: Path, database: Path, *args: str) -> str:
    env = {
        **os.environ,
        "AFTERCARE_DATA_DIR": str(tmp_path),
        "AFTERCARE_DATABASE_URL": f"sqlite:///{database}",
        "AFTERCARE_SECRET_KEY": "upgrade-test-secret-key-that-is-long-enough",
    }
    env.pop("AFTERCARE_TEST_DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "aftercare", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_database_from_before_the_split_upgrades_with_every_row_kept(tmp_path: Path) -> None:
    database = tmp_path / "aftercare.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.executescript(FIXTURE.read_text(encoding="utf-8"))
    before = table_counts(database)
    assert before["care_promise"] and before["care_resourceshare"] and before["care_calendarfeed"]

    aftercare(tmp_path, database, "migrate", "--no-input", "-v", "0")

    after = table_counts(database)
    lost = {
        table: (count, after.get(table))
        for table, count in before.items()
        if after.get(table, 0) < count
    }
    assert lost == {}, f"rows lost by the upgrade (before, after): {lost}"
    moved = ["care_promise", "care_referral", "care_resource", "care_resourceshare"]
    assert all(after[table] == before[table] for table in [*moved, "care_carehour"])
    # Later migrations may add rows (a new default care rule), never take any away.
    aftercare(tmp_path, database, "migrate", "--check")  # nothing left to apply

    read = json.loads(
        aftercare(tmp_path, database, "shell", "-c", READ_BACK).strip().splitlines()[-1]
    )
    assert read["counts"] == {
        "Promise": before["care_promise"],
        "Referral": before["care_referral"],
        "Resource": before["care_resource"],
        "ResourceShare": before["care_resourceshare"],
        "CareHour": before["care_carehour"],
        "CalendarFeed": before["care_calendarfeed"],
    }
    assert read["rule_resource"] == "Sleep hygiene"
    assert read["referral_rules"] == [[1, "referral_follow_up"]]
    assert read["share_titles"] and read["promise_clients"]
    assert read["content_types"] == [
        "promises.promise",
        "promises.referral",
        "queue.calendarfeed",
        "queue.carehour",
        "resources.resource",
        "resources.resourceshare",
    ]
