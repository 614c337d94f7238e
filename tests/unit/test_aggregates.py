"""The aggregates' arithmetic on plain values: what one activity adds, what a change moves,
and that summing many activities by shape gives what adding them one by one gives."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

from app.activities import aggregates as stats
from app.activities.aggregate_models import ALL, ActivityStat, TrainingStat, VisitStat
from app.activities.models import Activity
from app.missions.models import Location, Mission

LEAD, PARTNER = 1, 2


def facts(**overrides) -> stats.Facts:
    """A draft training led by mission 1 in March 2016: 24 trained, 9 women and 15 men."""
    values = {
        "mission_id": LEAD,
        "other_mission_ids": (),
        "type": "training",
        "response_area": "policing_crime",
        "dimension": "politico_military",
        "status": "draft",
        "start_date": date(2016, 3, 15),
        "start_precision": "day",
        "provenance": "entered",
        "themes": ("border_management",),
        "location_ids": (),
        "target_groups": ("border_police",),
        "participants_total": 24,
        "participants_women": 9,
        "participants_men": 15,
        "alert_level": None,
        "alert_closed": None,
    }
    values.update(overrides)
    return stats.Facts(**values)


def visit(**overrides) -> stats.Facts:
    """A draft monitoring visit by mission 1 to places 7 and 8, with an open high alert."""
    values = {
        "type": "monitoring_visit",
        "response_area": "monitoring",
        "target_groups": (),
        "participants_total": None,
        "participants_women": None,
        "participants_men": None,
        "location_ids": (7, 8),
        "alert_level": "high",
        "alert_closed": False,
    }
    return facts(**{**values, **overrides})


def activity_row(mission: int, theme: str, figure: str, *, grain="month", level="all"):
    """The key of one activity_stats value: all types, areas and dimensions by default."""
    period = date(2016, 3, 1) if grain == "month" else date(2016, 1, 1)
    return ((grain, level, theme, mission, period, LEAD, ALL, ALL, ALL), figure)


def flat(contribution: stats.Contribution) -> Counter:
    """Every (table, key, value name) of a contribution in one Counter, negatives kept."""
    result = Counter()
    for table, counter in contribution.items():
        for key, value in counter.items():
            result[(table.__name__, key)] += value
    return result


def test_week_of_is_the_monday_and_month_of_the_first():
    for offset in range(400):
        day = date(2015, 12, 1) + timedelta(days=offset)
        week = stats.week_of(day)
        assert week.weekday() == 0 and 0 <= (day - week).days <= 6, day
        assert stats.month_of(day) == date(day.year, day.month, 1)


def test_a_training_counts_once_and_its_people_at_every_level():
    rows = stats.contribution(facts())[ActivityStat]
    for grain in ("month", "year"):
        for theme in ("", "border_management"):
            assert rows[activity_row(LEAD, theme, "n_draft", grain=grain)] == 1
            assert rows[activity_row(LEAD, theme, "trained_draft", grain=grain)] == 24
            assert rows[activity_row(LEAD, theme, "women_draft", grain=grain)] == 9
            assert rows[activity_row(LEAD, theme, "split_draft", grain=grain)] == 24
    assert not any(name.endswith("_approved") for _, name in rows)


def test_a_training_without_women_or_men_is_left_out_of_the_split():
    rows = stats.contribution(facts(participants_women=None, participants_men=None))[ActivityStat]
    assert rows[activity_row(LEAD, "", "trained_draft")] == 24
    assert rows[activity_row(LEAD, "", "split_draft")] == 0
    assert rows[activity_row(LEAD, "", "women_draft")] == 0


def test_the_split_is_the_women_and_men_recorded_and_the_rest_is_not_recorded():
    """9 women and 10 men of 24: the share of women is over 19; 5 were not recorded."""
    rows = stats.contribution(facts(participants_men=10))[ActivityStat]
    assert rows[activity_row(LEAD, "", "split_draft")] == 19
    only_women = stats.contribution(facts(participants_men=None))[ActivityStat]
    assert only_women[activity_row(LEAD, "", "split_draft")] == 9
    only_men = stats.contribution(facts(participants_women=None))[ActivityStat]
    assert only_men[activity_row(LEAD, "", "split_draft")] == 15
    assert only_men[activity_row(LEAD, "", "women_draft")] == 0


def test_a_joint_activity_counts_for_each_mission_but_its_people_once():
    rows = stats.contribution(facts(other_mission_ids=(PARTNER,)))[ActivityStat]
    assert rows[activity_row(LEAD, "", "n_draft")] == 1
    assert rows[activity_row(PARTNER, "", "n_draft")] == 1
    assert rows[activity_row(LEAD, "", "trained_draft")] == 24
    assert rows[activity_row(PARTNER, "", "trained_draft")] == 0


def test_training_rows_are_by_mission_month_and_target_group():
    rows = stats.contribution(facts(status="approved"))[TrainingStat]
    key = (LEAD, date(2016, 3, 1), "border_police")
    assert rows == Counter(
        {
            (key, "n_approved"): 1,
            (key, "trained_approved"): 24,
            (key, "women_approved"): 9,
            (key, "split_approved"): 24,
        }
    )


def test_a_training_with_several_groups_counts_whole_in_each_groups_row():
    rows = stats.contribution(facts(target_groups=("lawyers", "police")))[TrainingStat]
    for group in ("lawyers", "police"):
        key = (LEAD, date(2016, 3, 1), group)
        assert rows[(key, "n_draft")] == 1 and rows[(key, "trained_draft")] == 24
    assert {key[2] for key, _ in rows} == {"lawyers", "police"}
    # a training without a group counts in the '' row
    none = stats.contribution(facts(target_groups=()))[TrainingStat]
    assert {key[2] for key, _ in none} == {""}


def test_a_visit_counts_once_per_place_in_its_week_and_an_open_alert_counts():
    contribution = stats.contribution(visit(start_date=date(2016, 3, 17)))  # a Thursday
    monday = date(2016, 3, 14)
    assert contribution[VisitStat] == Counter(
        {((LEAD, monday, 7), "n_draft"): 1, ((LEAD, monday, 8), "n_draft"): 1}
    )
    assert contribution[ActivityStat][activity_row(LEAD, "", "alerts_draft")] == 1
    assert contribution[TrainingStat] == Counter()


def test_closed_or_no_alerts_count_no_alert():
    for quiet in (visit(alert_closed=True), visit(alert_level="none"), visit(alert_level=None)):
        rows = stats.contribution(quiet)[ActivityStat]
        assert rows[activity_row(LEAD, "", "alerts_draft")] == 0, quiet
        assert rows[activity_row(LEAD, "", "n_draft")] == 1, quiet


def test_nothing_adds_nothing_and_no_change_moves_nothing():
    assert +flat(stats.contribution(None)) == Counter()
    assert flat(stats.difference(facts(), facts())) == Counter()
    assert flat(stats.difference(None, None)) == Counter()


def test_creating_adds_the_contribution_and_deleting_takes_it_away():
    added = flat(stats.difference(None, facts()))
    assert added and added == flat(stats.contribution(facts()))
    removed = flat(stats.difference(facts(), None))
    assert all(v < 0 for v in removed.values())
    assert -removed == added


def test_approving_moves_every_figure_from_draft_to_approved():
    delta = stats.difference(facts(), facts(status="approved"))[ActivityStat]
    assert delta[activity_row(LEAD, "", "n_draft")] == -1
    assert delta[activity_row(LEAD, "", "n_approved")] == 1
    assert delta[activity_row(LEAD, "", "trained_approved")] == 24
    assert sum(delta.values()) == 0  # moved, not made


def random_facts(rng: random.Random) -> stats.Facts:
    kind = rng.choice(["training", "monitoring_visit", "meeting"])
    return facts(
        mission_id=rng.choice([1, 2, 3]),
        other_mission_ids=tuple(sorted(rng.sample([4, 5, 6], rng.randrange(3)))),
        type=kind,
        status=rng.choice(["draft", "submitted", "approved", "returned"]),
        start_date=date(2015, 1, 1) + timedelta(days=rng.randrange(900)),
        themes=tuple(sorted(rng.sample(["asylum", "border_management", "return"], 2))),
        location_ids=tuple(sorted(rng.sample([7, 8, 9], rng.randrange(3)))),
        target_groups=rng.choice([("border_police",), (), ("lawyers", "police")]),
        participants_total=rng.choice([None, 0, 12]),
        participants_women=rng.choice([None, 0, 5]),
        participants_men=rng.choice([None, 0, 4]),
        alert_level=rng.choice([None, "none", "low", "high"]),
        alert_closed=rng.choice([None, False, True]),
    )


def test_changing_a_record_equals_deleting_it_and_creating_the_new_one():
    rng = random.Random(3)
    for _ in range(200):
        before, after = random_facts(rng), random_facts(rng)
        moved = flat(stats.difference(before, after))
        expected = flat(stats.contribution(after))
        expected.subtract(flat(stats.contribution(before)))
        assert moved == Counter({k: v for k, v in expected.items() if v}), (before, after)


def test_a_tally_of_many_equals_the_sum_of_each_one():
    """Bulk loads sum activities by shape first; the figures must not change by it."""
    rng = random.Random(4)
    many = [random_facts(rng) for _ in range(150)]
    many += [replace(many[0]), replace(many[1])]  # the same shape more than once
    tally = stats.Tally()
    one_by_one: stats.Contribution = {}
    for each in many:
        tally.add(each)
        stats.contribution(each, into=one_by_one)
    assert flat(tally.contribution()) == flat(one_by_one)


def test_facts_and_recount_read_unsaved_records():
    activity = Activity(
        mission_id=LEAD,
        type="training",
        status="submitted",
        response_area="policing_crime",
        dimension="politico_military",
        start_date=date(2016, 3, 5),
        participants_total=10,
        participants_women=4,
        participants_men=5,
    )
    activity.target_groups = ["police", "border_police"]
    activity.themes = ["return", "asylum"]
    activity.other_missions = [Mission(id=3), Mission(id=PARTNER)]
    activity.locations = [Location(id=7)]
    read = stats.Facts.of(activity)
    assert read.themes == ("asylum", "return")
    assert read.other_mission_ids == (PARTNER, 3)
    assert read.location_ids == (7,)
    assert read.target_groups == ("border_police", "police")
    recounted = stats.recount([activity, activity])
    for group in ("border_police", "police"):
        # n, trained, women, split per status: draft, submitted, approved, returned
        row = (LEAD, date(2016, 3, 1), group, 0, 2, 0, 0, 0, 20, 0, 0, 0, 8, 0, 0, 0, 18, 0, 0)
        assert row in recounted["training_stats"]
    assert recounted["visit_stats"] == set()


def test_a_date_known_only_to_its_year_or_quarter_has_no_month_row():
    """ "2016" goes to a year-only row on 1 January, never to January's monthly row; the
    yearly row counts it like any record of 2016."""
    for precision, grain, period in (
        ("year", "y-unk", date(2016, 1, 1)),
        ("quarter", "q-unk", date(2016, 1, 1)),
    ):
        start = date(2016, 1, 1)
        stats_ = stats.contribution(facts(start_date=start, start_precision=precision))[
            ActivityStat
        ]
        keys = {key for key, _ in stats_}
        assert (grain, "all", "", LEAD, period, LEAD, ALL, ALL, ALL) in keys
        assert ("year", "all", "", LEAD, date(2016, 1, 1), LEAD, ALL, ALL, ALL) in keys
        assert not [key for key in keys if key[0] == "month"]


def test_reconstructed_and_synthetic_records_are_counted_as_such():
    reconstructed = stats.contribution(visit(provenance="reconstructed"))[ActivityStat]
    assert reconstructed[(activity_row(LEAD, "", "recon_draft")[0], "recon_draft")] == 1
    assert reconstructed[(activity_row(LEAD, "", "synth_draft")[0], "synth_draft")] == 0


def test_a_visit_known_only_to_its_month_has_no_week():
    by_day = stats.contribution(visit())[VisitStat]
    by_month = stats.contribution(visit(start_date=date(2016, 3, 1), start_precision="month"))
    assert by_day and not by_month[VisitStat]
