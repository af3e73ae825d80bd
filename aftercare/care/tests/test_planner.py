"""The pure planner: no database anywhere in this module."""

from __future__ import annotations

import ast
import datetime as dt
import zoneinfo
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftercare.care import triggers
from aftercare.care.defaults import DEFAULT_RULES
from aftercare.care.facts import (
    AppointmentFact,
    ClientFacts,
    EventFact,
    ExistingTouchpoint,
    PracticePolicy,
    RuleSpec,
    SentMessage,
)
from aftercare.care.planner import (
    BUNDLE_LIMIT,
    BUNDLE_WINDOW,
    Planner,
    in_quiet_hours,
    leave_quiet_hours,
    plan,
)
from aftercare.care.triggers import Occurrence

UTC = dt.UTC
RULES = [RuleSpec(id=i, **spec) for i, spec in enumerate(DEFAULT_RULES, start=1)]
POLICY = PracticePolicy(time_zone="Europe/London")


def at(text: str, tz: str = "UTC") -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(tz)).astimezone(UTC)


def visit(id: int, when: dt.datetime, status: str = "attended", kind: str = "follow_up"):
    return AppointmentFact(id=id, starts_at=when, kind=kind, status=status)


def facts(**fields) -> ClientFacts:
    defaults = {"client_id": 42, "time_zone": "Europe/London", "consents": frozenset({"care"})}
    defaults.update(fields)
    return ClientFacts(**defaults)


def by_kind(planned, kind):
    return [t for t in planned if t.kind == kind]


class TestRules:
    def test_it_checks_in_three_days_after_a_first_visit_at_nine_local(self):
        client = facts(appointments=(visit(913, at("2026-11-20 10:00")),))
        planned = plan(client, RULES, POLICY, at("2026-11-20 12:00"))
        [check_in] = by_kind(planned, "check_in")
        assert check_in.key == "42:rule1:appt913"
        assert check_in.due_at == at("2026-11-23 09:00", "Europe/London")
        assert check_in.status == "planned"
        assert "first visit" in check_in.title

    def test_it_checks_in_seven_days_after_later_visits(self):
        client = facts(
            appointments=(
                visit(1, at("2026-09-01 10:00")),
                visit(2, at("2026-11-20 10:00")),
            )
        )
        planned = plan(client, RULES, POLICY, at("2026-11-20 12:00"))
        later = [t for t in planned if t.key == "42:rule2:appt2"]
        assert later[0].due_at == at("2026-11-27 09:00", "Europe/London")
        assert not any(t.key == "42:rule1:appt2" for t in planned)

    def test_it_plans_nothing_for_a_no_show_check_in(self):
        client = facts(appointments=(visit(913, at("2026-11-20 10:00"), status="no_show"),))
        assert by_kind(plan(client, RULES, POLICY, at("2026-11-20 12:00")), "check_in") == []

    def test_it_recalls_eight_weeks_after_the_last_visit_unless_one_is_booked(self):
        last = visit(5, at("2026-10-01 10:00"))
        client = facts(appointments=(visit(4, at("2026-08-01 10:00")), last))
        [recall] = by_kind(plan(client, RULES, POLICY, at("2026-11-01 12:00")), "recall")
        assert recall.key == "42:rule3:recall-appt5"
        assert recall.due_at == at("2026-11-26 10:00", "Europe/London")
        booked = facts(appointments=(last, visit(6, at("2026-12-15 10:00"), status="booked")))
        assert by_kind(plan(booked, RULES, POLICY, at("2026-11-01 12:00")), "recall") == []

    def test_a_29_february_birthday_is_celebrated_on_28_february_in_other_years(self):
        client = facts(birth_date=dt.date(1988, 2, 29), consents=frozenset({"celebrations"}))
        planned = plan(client, RULES, POLICY, at("2027-02-01 12:00"))
        [card] = [t for t in by_kind(planned, "birthday_card") if t.status == "planned"][:1]
        assert card.key == "42:rule4:birthday2027"
        assert card.due_at == at("2027-02-28 09:00", "Europe/London")
        leap = plan(client, RULES, POLICY, at("2028-02-01 12:00"))
        assert any(
            t.key == "42:rule4:birthday2028" and t.due_at == at("2028-02-29 09:00", "Europe/London")
            for t in leap
        )

    def test_it_notes_the_first_visit_anniversary(self):
        client = facts(
            appointments=(visit(1, at("2025-12-03 10:00")), visit(2, at("2026-06-01 10:00"))),
            consents=frozenset({"care", "celebrations"}),
        )
        planned = plan(client, RULES, POLICY, at("2026-11-27 12:00"))
        [note] = [t for t in by_kind(planned, "anniversary_note") if t.key.endswith("2026")]
        assert note.due_at == at("2026-12-03 09:30", "Europe/London")

    def test_a_condition_limits_a_rule_and_an_unknown_condition_never_holds(self):
        tagged = facts(
            appointments=(visit(1, at("2026-11-20 10:00")),),
            tags=(EventFact("sleep", at("2026-11-01 10:00")),),
        )
        rule = RuleSpec(
            id=9,
            name="Sleep handout",
            trigger="appointment_attended",
            template_key="information",
            purpose="care",
            condition={"has_tag": "sleep"},
        )
        assert len(plan(tagged, [rule], POLICY, at("2026-11-20 12:00"))) == 1
        assert (
            plan(facts(appointments=tagged.appointments), [rule], POLICY, at("2026-11-20 12:00"))
            == []
        )
        odd = RuleSpec(id=9, name="x", trigger="appointment_attended", condition={"moon": "full"})
        assert plan(tagged, [odd], POLICY, at("2026-11-20 12:00")) == []

    def test_a_tag_trigger_counts_from_when_the_tag_was_first_seen(self):
        client = facts(tags=(EventFact("sleep", at("2026-11-10 15:00")),))
        rule = RuleSpec(
            id=1, name="Sleep", trigger="tag_added", trigger_options={"tag": "sleep"}, offset_days=1
        )
        planned = plan(client, [rule], POLICY, at("2026-11-10 16:00"))
        assert [t.key for t in planned] == ["42:rule1:tagsleep"]


class TestTime:
    @pytest.mark.parametrize(
        ("time_zone", "change_day"),
        [
            ("Europe/Berlin", "2026-03-29"),  # clocks go forward
            ("Europe/Berlin", "2026-10-25"),  # clocks go back
            ("Australia/Sydney", "2026-04-05"),  # clocks go back
            ("Australia/Sydney", "2026-10-04"),  # clocks go forward
        ],
    )
    def test_a_nine_oclock_check_in_on_the_day_clocks_change_is_due_at_nine_local(
        self, time_zone, change_day
    ):
        day = dt.date.fromisoformat(change_day)
        attended = at(f"{day - dt.timedelta(days=3)} 10:00", time_zone)
        client = facts(time_zone=time_zone, appointments=(visit(1, attended),))
        [check_in] = plan(client, RULES[:1], POLICY, attended + dt.timedelta(hours=2))
        local = check_in.due_at.astimezone(zoneinfo.ZoneInfo(time_zone))
        assert (local.date(), local.hour, local.minute) == (day, 9, 0)
        assert check_in.due_at.tzinfo is not None

    def test_a_message_inside_quiet_hours_moves_to_their_end_and_says_why(self):
        rule = RuleSpec(
            id=1,
            name="Late",
            trigger="appointment_attended",
            offset_days=1,
            local_time=dt.time(21, 30),
        )
        client = facts(appointments=(visit(1, at("2026-11-20 10:00")),))
        [moved] = plan(client, [rule], POLICY, at("2026-11-20 12:00"))
        assert moved.due_at == at("2026-11-22 08:00", "Europe/London")
        assert "quiet hours (20:00–08:00)" in moved.held_back_reason

    def test_quiet_hours_may_wrap_midnight_or_not(self):
        assert in_quiet_hours(dt.time(23), dt.time(20), dt.time(8))
        assert in_quiet_hours(dt.time(7, 59), dt.time(20), dt.time(8))
        assert not in_quiet_hours(dt.time(8), dt.time(20), dt.time(8))
        assert in_quiet_hours(dt.time(13), dt.time(12), dt.time(14))
        assert not in_quiet_hours(dt.time(13), dt.time(12), dt.time(12))


class TestBoundaries:
    def test_the_contact_budget_moves_the_lower_value_message_later(self):
        client = facts(
            appointments=(visit(1, at("2026-11-20 10:00")),),
            sent_messages=(SentMessage(at("2026-11-25 09:00"), value=60),),
            consents=frozenset({"care", "information"}),
        )
        rules = [
            RuleSpec(id=1, name="High", trigger="recall", trigger_options={"weeks": 1}, value=90),
            RuleSpec(
                id=2,
                name="Low",
                trigger="appointment_attended",
                offset_days=9,
                template_key="information",
                purpose="information",
                value=10,
            ),
        ]
        planned = {t.rule_id: t for t in plan(client, rules, POLICY, at("2026-11-20 12:00"))}
        assert len(planned) == 2  # nothing vanishes
        assert planned[1].held_back_reason == ""  # 27 Nov: with the 25th, two in seven days
        low = planned[2]  # due 29 Nov: a third in the week; waits until the 25th leaves it
        assert low.due_at == at("2026-12-02 09:00")
        assert "contact budget (at most 2 automated messages in 7 days)" in low.held_back_reason

    def test_a_message_is_held_back_only_by_messages_that_matter_at_least_as_much(self):
        # Two birthday cards sent this week do not delay a recall worth more than they were.
        client = facts(
            appointments=(visit(1, at("2026-11-13 10:00")),),
            sent_messages=(
                SentMessage(at("2026-11-18 09:00"), value=40),
                SentMessage(at("2026-11-19 09:00"), value=40),
            ),
        )
        recall = RuleSpec(
            id=1, name="Recall", trigger="recall", trigger_options={"weeks": 1}, value=50
        )
        [planned] = plan(client, [recall], POLICY, at("2026-11-20 08:30"))
        assert planned.due_at == at("2026-11-20 09:00", "Europe/London")
        assert planned.held_back_reason == ""

    def test_essential_care_is_never_held_back_by_the_budget(self):
        # A first-visit check-in and a new-medication check-in, with two messages worth more
        # than either already sent this week: both still go on their day.
        first_visit = visit(1, at("2026-11-20 10:00"), kind="first_visit")
        client = facts(
            appointments=(first_visit,),
            sent_messages=(
                SentMessage(at("2026-11-21 09:00"), value=100),
                SentMessage(at("2026-11-22 09:00"), value=100),
            ),
        )
        [check_in] = by_kind(plan(client, RULES, POLICY, at("2026-11-20 12:00")), "check_in")
        assert check_in.essential
        assert check_in.due_at == at("2026-11-23 09:00", "Europe/London")
        assert "budget" not in check_in.held_back_reason

    def test_the_budget_never_holds_a_message_until_it_is_too_late(self):
        # A birthday card may be two days late; two weightier messages sent the day before
        # would hold it a week. Nothing to join it with: it goes on the day, saying why.
        client = facts(
            birth_date=dt.date(1970, 11, 24),
            consents=frozenset({"care", "celebrations"}),
            sent_messages=(
                SentMessage(at("2026-11-23 09:00"), value=90),
                SentMessage(at("2026-11-23 10:00"), value=90),
            ),
        )
        card, _next_year = by_kind(
            plan(client, RULES, POLICY, at("2026-11-23 12:00")), "birthday_card"
        )
        assert card.status == "planned" and not card.blocked
        assert card.due_at == at("2026-11-24 09:00", "Europe/London")
        assert "sent anyway" in card.held_back_reason
        # The day after, it has not expired either: the card is still due to go.
        later = by_kind(plan(client, RULES, POLICY, at("2026-11-24 08:00")), "birthday_card")
        assert later[0].status == "planned"

    def test_messages_due_within_a_day_go_as_one_email(self):
        # A check-in due Tuesday 09:00 and a recall due Tuesday 10:00: one email, at 09:00.
        client = facts(appointments=(visit(1, at("2026-11-17 10:00")),))
        rules = [
            RuleSpec(
                id=1,
                name="Check in",
                trigger="appointment_attended",
                offset_days=7,
                template_key="check_in",
                value=60,
            ),
            RuleSpec(
                id=2,
                name="Recall",
                trigger="recall",
                trigger_options={"weeks": 1},
                local_time=dt.time(10, 0),
                template_key="recall",
                value=50,
            ),
        ]
        check_in, recall = plan(client, rules, POLICY, at("2026-11-17 12:00"))
        assert check_in.kind == "check_in" and "bundle_with" not in check_in.context
        assert recall.context["bundle_with"] == check_in.key
        assert recall.due_at == check_in.due_at == at("2026-11-24 09:00", "Europe/London")
        assert "sent together with" in recall.held_back_reason
        # By SMS they stay apart: a text is short and on its own.
        by_sms = plan(replace(client, channel="sms"), rules, POLICY, at("2026-11-17 12:00"))
        assert all("bundle_with" not in t.context for t in by_sms)

    def test_messages_without_consent_or_to_opted_out_clients_are_blocked_with_the_reason(self):
        client = facts(birth_date=dt.date(1970, 12, 24), consents=frozenset({"care"}))
        [card, *_] = by_kind(plan(client, RULES, POLICY, at("2026-11-27 12:00")), "birthday_card")
        assert card.blocked
        assert card.held_back_reason == "No consent for celebrations."
        opted_out = facts(appointments=(visit(1, at("2026-11-20 10:00")),), opted_out=True)
        [check_in] = by_kind(plan(opted_out, RULES, POLICY, at("2026-11-20 12:00")), "check_in")
        assert check_in.blocked and "opted out" in check_in.held_back_reason

    def test_a_paused_client_hears_nothing_until_the_pause_ends(self):
        client = facts(
            appointments=(visit(1, at("2026-11-20 10:00")),), paused_until=at("2026-12-01 12:00")
        )
        [check_in] = by_kind(plan(client, RULES, POLICY, at("2026-11-20 12:00")), "check_in")
        assert check_in.due_at == at("2026-12-01 12:00")
        assert "paused" in check_in.held_back_reason

    def test_archived_clients_get_nothing(self):
        client = facts(appointments=(visit(1, at("2026-11-20 10:00")),), archived=True)
        assert plan(client, RULES, POLICY, at("2026-11-20 12:00")) == []

    def test_a_late_touchpoint_expires_with_the_reason_and_an_ancient_one_is_not_planned(self):
        client = facts(appointments=(visit(1, at("2026-11-01 10:00")),))
        [check_in] = plan(client, RULES[:1], POLICY, at("2026-11-10 12:00"))
        assert check_in.status == "expired"
        assert check_in.status_reason.startswith("More than 3 days late")
        assert plan(client, RULES[:1], POLICY, at("2027-01-10 12:00")) == []

    def test_history_is_left_out_and_due_ones_keep_their_time(self):
        client = facts(
            appointments=(visit(1, at("2026-11-01 10:00")), visit(2, at("2026-11-20 10:00"))),
            existing={
                "42:rule1:appt1": ExistingTouchpoint(
                    "42:rule1:appt1", "sent", at("2026-11-04 09:00"), "message"
                ),
                "42:rule2:appt2": ExistingTouchpoint(
                    "42:rule2:appt2", "due", at("2026-11-27 09:05"), "message"
                ),
            },
        )
        planned = plan(client, RULES[:2], POLICY, at("2026-11-20 12:00"))
        assert [(t.key, t.status, t.due_at) for t in planned] == [
            ("42:rule2:appt2", "due", at("2026-11-27 09:05"))
        ]


class TestOneActPerVisit:
    GENERAL = RuleSpec(
        id=2,
        name="Check in after a visit",
        trigger="appointment_attended",
        trigger_options={"first_visit": False},
        offset_days=7,
        template_key="check_in",
        value=60,
    )
    ACUPUNCTURE = RuleSpec(
        id=9,
        name="Check in after acupuncture",
        trigger="appointment_attended",
        trigger_options={"kind": "acupuncture"},
        offset_days=2,
        template_key="check_in",
        value=60,
    )

    def test_the_rule_for_the_visit_kind_wins_over_the_general_one(self):
        client = facts(
            appointments=(
                visit(1, at("2026-11-02 10:00"), kind="first_visit"),
                visit(2, at("2026-11-20 10:00"), kind="acupuncture"),
            )
        )
        planned = plan(client, [self.GENERAL, self.ACUPUNCTURE], POLICY, at("2026-11-20 12:00"))
        check_ins = [t for t in planned if t.key.endswith("appt2")]
        assert [t.rule_id for t in check_ins] == [9]  # one check-in for the visit, not two

    def test_a_check_in_already_sent_for_the_visit_stops_another_rules(self):
        client = facts(
            appointments=(
                visit(1, at("2026-11-02 10:00"), kind="first_visit"),
                visit(2, at("2026-11-20 10:00"), kind="acupuncture"),
            ),
            existing={
                "42:rule2:appt2": ExistingTouchpoint(
                    "42:rule2:appt2", "sent", at("2026-11-21 09:00"), "message", "check_in"
                )
            },
        )
        planned = plan(client, [self.GENERAL, self.ACUPUNCTURE], POLICY, at("2026-11-21 12:00"))
        assert [t for t in planned if t.key.endswith("appt2")] == []

    def test_different_kinds_of_care_for_one_visit_all_stay(self):
        handout = replace(self.ACUPUNCTURE, id=10, template_key="information", purpose="care")
        client = facts(appointments=(visit(2, at("2026-11-20 10:00"), kind="acupuncture"),))
        planned = plan(client, [self.ACUPUNCTURE, handout], POLICY, at("2026-11-20 12:00"))
        assert sorted(t.kind for t in planned) == ["check_in", "information"]


class TestExtension:
    def test_a_new_trigger_reads_its_facts_from_extra_without_planner_changes(self, monkeypatch):
        monkeypatch.setitem(triggers.TRIGGERS, "supply_started", triggers.TRIGGERS["birthday"])

        @triggers.register_trigger("supply_started", label="A supply was started")
        def supply_started(facts, rule, policy, now):
            return [Occurrence(f"supply{s['id']}", s["started_on"]) for s in facts.supplies]

        client = facts(extra={"supplies": [{"id": 3, "started_on": dt.date(2026, 11, 20)}]})
        rule = RuleSpec(id=1, name="Side effects?", trigger="supply_started", offset_days=3)
        [check] = plan(client, [rule], POLICY, at("2026-11-20 12:00"))
        assert check.key == "42:rule1:supply3"
        assert client.supplies[0]["id"] == 3

    def test_the_planner_modules_import_no_django(self):
        for name in ("planner.py", "triggers.py", "facts.py", "defaults.py"):
            tree = ast.parse((Path(triggers.__file__).parent / name).read_text())
            modules = [
                alias.name
                for node in ast.walk(tree)
                if isinstance(node, ast.Import)
                for alias in node.names
            ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
            assert not [m for m in modules if m.startswith("django") or m.endswith("models")], name


# --- property tests ----------------------------------------------------------------------------

TIME_ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "America/New_York",
    "Asia/Kolkata",
]
instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2028, 12, 31), timezones=st.just(UTC)
)
times = st.times().map(lambda t: t.replace(microsecond=0, second=0))


@st.composite
def client_facts_near(draw, now: dt.datetime) -> ClientFacts:
    """A client whose appointments and sent messages lie around ``now``, so rules fire."""
    near = st.integers(-90 * 24, 30 * 24).map(lambda hours: now + dt.timedelta(hours=hours))
    appointments = draw(
        st.lists(
            st.builds(
                visit,
                id=st.integers(1, 10_000),
                when=near,
                status=st.sampled_from(["attended", "attended", "booked", "no_show", "cancelled"]),
                kind=st.sampled_from(["first_visit", "follow_up"]),
            ),
            min_size=1,
            max_size=8,
            unique_by=lambda a: a.id,
        )
    )
    return facts(
        time_zone=draw(st.sampled_from(TIME_ZONES)),
        birth_date=draw(
            st.one_of(
                st.none(),
                st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)),
                st.just(dt.date(1996, 2, 29)),
            )
        ),
        appointments=tuple(appointments),
        consents=draw(
            st.one_of(
                st.just(frozenset({"care", "information", "celebrations"})),
                st.frozensets(st.sampled_from(["care", "information", "celebrations"])),
            )
        ),
        sent_messages=tuple(
            draw(st.lists(st.builds(SentMessage, near, st.integers(0, 100)), max_size=6))
        ),
        opted_out=draw(st.sampled_from([False, False, False, True])),
    )


scenarios = instants.flatmap(lambda now: st.tuples(st.just(now), client_facts_near(now)))
rule_specs = st.lists(
    st.builds(
        RuleSpec,
        id=st.integers(1, 50),
        name=st.just("rule"),
        trigger=st.sampled_from(
            [
                "appointment_attended",
                "appointment_no_show",
                "recall",
                "birthday",
                "first_visit_anniversary",
            ]
        ),
        offset_days=st.integers(-3, 60),
        local_time=times,
        template_key=st.sampled_from(["check_in", "recall", "birthday_card", "information"]),
        purpose=st.sampled_from(["care", "information", "celebrations"]),
        action=st.sampled_from(["message", "message", "task"]),
        value=st.integers(0, 100),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda r: r.id,
)
policies = st.builds(
    PracticePolicy,
    time_zone=st.sampled_from(TIME_ZONES),
    quiet_hours_start=times,
    quiet_hours_end=times,
    contact_budget_messages=st.integers(1, 3),
    contact_budget_days=st.integers(1, 10),
)


def live_messages(planned):
    return [t for t in planned if t.action == "message" and t.status == "planned" and not t.blocked]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios, rules=rule_specs, policy=policies)
def test_the_planner_keeps_its_invariants(scenario, rules, policy):
    now, client = scenario
    planned = plan(client, rules, policy, now)
    # Idempotent: the same input gives the same output.
    assert plan(client, rules, policy, now) == planned
    # Never two touchpoints with one key.
    assert len({t.key for t in planned}) == len(planned)
    # Due times are always aware.
    assert all(
        t.due_at.tzinfo is not None and t.due_at.utcoffset() == dt.timedelta(0) for t in planned
    )
    tz = zoneinfo.ZoneInfo(client.time_zone)
    messages = live_messages(planned)
    # Never inside quiet hours.
    for message in messages:
        local = message.due_at.astimezone(tz).time()
        assert not in_quiet_hours(local, policy.quiet_hours_start, policy.quiet_hours_end), message
    # A bundled message goes with a live email at its time; a bundle holds few parts.
    primaries = {m.key: m for m in messages if "bundle_with" not in m.context}
    for message in messages:
        if "bundle_with" in message.context:
            primary = primaries[message.context["bundle_with"]]
            assert (primary.due_at, primary.channel) == (message.due_at, "email")
    parts = [m.context.get("bundle_with", m.key) for m in messages]
    assert all(parts.count(key) <= BUNDLE_LIMIT for key in primaries)
    # Never over the contact budget, counting for each message only what matters more than it
    # (sent or planned, essential care above all; a bundle once) — unless it says it went over
    # the budget so as not to come too late. Essential care is never held back by the budget.
    window = dt.timedelta(days=policy.contact_budget_days)
    for message in primaries.values():
        if message.essential:
            assert "contact budget" not in message.held_back_reason
            continue
        if "sent anyway" in message.held_back_reason:
            continue
        weightier = sorted(
            [s.at for s in client.sent_messages if s.value > message.value]
            + [
                m.due_at
                for m in primaries.values()
                if m is not message and (m.essential or m.value > message.value)
            ]
            + [message.due_at]
        )
        for start in [t for t in weightier if message.due_at - window < t <= message.due_at]:
            count = sum(1 for t in weightier if start <= t < start + window)
            assert count <= policy.contact_budget_messages, (message, start)
    # Whatever is held back, blocked or expired says why.
    for touchpoint in planned:
        if touchpoint.blocked:
            assert touchpoint.held_back_reason
        if touchpoint.status == "expired":
            assert touchpoint.status_reason


@settings(max_examples=60, deadline=None)
@given(scenario=scenarios)
def test_boundaries_move_a_message_later_never_drop_it(scenario):
    now, client = scenario
    unbounded = PracticePolicy(
        quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0), contact_budget_messages=99
    )
    free = {t.key: t for t in plan(client, RULES, unbounded, now)}
    for touchpoint in plan(client, RULES, POLICY, now):
        before = free[touchpoint.key]
        # Only joining a message due within a day may bring one earlier (never a celebration).
        if "bundle_with" in touchpoint.context and touchpoint.purpose != "celebrations":
            assert touchpoint.due_at >= before.due_at - BUNDLE_WINDOW
        else:
            assert touchpoint.due_at >= before.due_at
        # Nothing expires because of quiet hours or the budget: only what was late anyway.
        if touchpoint.status == "expired":
            assert before.status == "expired"


def test_a_quiet_hours_end_skipped_by_the_clocks_moves_to_the_next_days_end():
    # Europe/London skips 01:00–02:00 on 29 March 2026; with quiet hours 01:01–01:00 the
    # end (01:00) does not exist that night, and 02:00 is still quiet.
    policy = PracticePolicy(quiet_hours_start=dt.time(1, 1), quiet_hours_end=dt.time(1, 0))
    tz = zoneinfo.ZoneInfo("Europe/London")
    instant = dt.datetime(2026, 3, 28, 12, 0, tzinfo=tz)
    moved = leave_quiet_hours(instant, tz, policy)
    assert not in_quiet_hours(
        moved.astimezone(tz).time(), policy.quiet_hours_start, policy.quiet_hours_end
    )
    assert moved.astimezone(tz) == dt.datetime(2026, 3, 30, 1, 0, tzinfo=tz)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    now=instants,
    clients=st.lists(st.data(), min_size=2, max_size=4),
    rules=rule_specs,
    policy=policies,
)
def test_one_planner_for_many_clients_plans_each_as_plan_would(now, clients, rules, policy):
    # The sweep plans a batch with one Planner (per-rule work done once); nothing may carry
    # over from one client to the next.
    batch = [data.draw(client_facts_near(now)) for data in clients]
    batch = [replace(client, client_id=i) for i, client in enumerate(batch, start=1)]
    planner = Planner(rules, policy, now)
    assert [planner.plan(client) for client in batch] == [
        plan(client, rules, policy, now) for client in batch
    ]


def test_with_changes_is_dataclasses_replace_only_cheaper():
    client = facts(appointments=(visit(913, at("2026-11-20 10:00")),))
    [touchpoint, *_] = plan(client, RULES, POLICY, at("2026-11-20 12:00"))
    changes = {"status": "due", "due_at": at("2026-11-24 09:00"), "held_back_reason": "why"}
    assert touchpoint.with_changes(**changes) == replace(touchpoint, **changes)
    assert touchpoint.status == "planned"  # the original is untouched
    with pytest.raises(TypeError, match="no field 'due'"):
        touchpoint.with_changes(due=at("2026-11-24 09:00"))


def test_day_text_reads_like_the_pages_in_the_practices_locale():
    day = dt.date(2027, 1, 1)
    while day.year == 2027:
        # en_GB as strftime wrote it, but for CLDR's "Sept" (as the pages write it).
        expected = f"{day.day} {day:%b %Y}".replace("Sep ", "Sept ")
        assert triggers.day_text(day) == expected
        assert triggers.day_text(day, "en_US") == f"{day:%b} {day.day}, {day.year}"
        day += dt.timedelta(days=1)
    assert triggers.day_text(dt.date(2027, 3, 1), "de_DE") == "1. März 2027"
