"""The seed says no more than its sources.

For every seed activity, `GIVEN` lists the optional fields the study gives a value for
(the fields every activity has — mission, type, title, start, the classification and
the summary — are not listed). A value in any other optional field fails the test, and
so does a listed field left empty, so this table and `seeds/activities.yaml` always
say the same thing: change one, change the other, and say in the summary where the
value comes from. The reconstructed PDU visits are checked against the rules of
`reconstructed_visits.yaml`, and every quotation in the seeds must be found word for
word in the source document the record cites, without dropping a hedge ("allegedly")
that stands just before it there.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from app.activities.fields import ALL_TYPE_FIELDS, TYPE_FIELDS
from app.seeding import SEEDS_DIR, expand_visit_schedule
from app.vocab import ActivityType

COMMON_OPTIONAL = {"end", "other_missions", "locations", "partners", "project"}
OPTIONAL = COMMON_OPTIONAL | set(ALL_TYPE_FIELDS)

# Activities the study does not date: the seeds' convention gives them the study's core
# period, 2015 to 2016, and says "(undated in the study)". Their `end` is the convention's,
# not a date the study gives, so it is not listed in GIVEN.
UNDATED = {
    "srb-border-crossing-monitoring",
    "srb-southern-border-monitoring",
    "bih-brcko-impact-assessment",
    "kos-preparedness-assessment",
    "alb-preparedness-assessment",
    "alb-routine-reporting",
    "bih-routine-reporting",
    "kos-routine-reporting",
    "mne-routine-reporting",
    "srb-un-eu-briefings",
    "mkd-weekly-coordination-meetings",
    "regional-cso-network-support",
    "srb-bchr-report-translation",
    "srb-presevo-youth-office-awareness",
    "bih-banja-luka-conference",
    "srb-traffic-management-assistance",
    "srb-local-authorities-unhcr-dialogue",
    "srb-regional-housing-programme",
    "mkd-lawyers-legal-aid-training",
    "mkd-legal-aid-victims",
    "srb-mobile-police-station",
    "bih-brcko-police-training-request",
    "alb-border-points-computers",
    "alb-trilateral-jiec-plans",
    "mkd-greek-macedonian-contact-centre",
    "srb-moi-skopje-regional-meeting",
    "mkd-alb-law-enforcement-meeting",
}

# The optional fields each seed activity has a value for, because the study gives it.
# Kinds (report, meeting, event, assistance) are read from the study's own word for the
# activity ("background report", "bilateral meeting", "workshop", "providing computers");
# where the study gives no such word the kind is null. Alert levels: the study gives none.
GIVEN: dict[str, set[str]] = {
    # §6.1 monitoring: what was found ("understaffed, ... corruption, ... equipment")
    "srb-border-crossing-monitoring": {"team", "observations", "findings"},
    "srb-southern-border-monitoring": {"locations", "team"},  # "an office in Bujanovac"
    "srb-mkd-joint-visit-presevo-tabanovce": {"other_missions", "locations", "team"},
    # one "newly deployed OSCE human rights officer"; authorities "unprepared"
    "bih-brcko-impact-assessment": {
        "locations",
        "partners",
        "team",
        "team_size",
        "observations",
        "findings",
    },
    "kos-preparedness-assessment": {"partners", "observations"},  # "a kind of emergency plan"
    "alb-preparedness-assessment": set(),
    # §6.2 reports
    "srb-background-report": {"reference_number", "report_kind", "recipients", "self_initiated"},
    "mkd-update-report": {"reference_number", "report_kind", "recipients", "self_initiated"},
    "srb-horgos-spot-report": {
        "locations",
        "report_kind",
        "recipients",
        "self_initiated",
        "period_from",  # the incidents of September 2015 (§4.2)
        "period_to",
    },
    "mkd-thb-thematic-report": {
        "locations",
        "partners",
        "report_kind",
        "recipients",
        "self_initiated",
    },
    "srb-periodic-reporting": {"partners", "report_kind", "recipients", "period_from"},
    "alb-routine-reporting": {"report_kind"},  # "routine reporting activities"
    "bih-routine-reporting": {"report_kind"},
    "kos-routine-reporting": {"report_kind"},
    "mne-routine-reporting": {"report_kind"},
    # §6.2 meetings
    "mkd-visegrad-police-briefing": {"partners", "meeting_kind", "organisations_present"},
    "mkd-alb-heads-meeting": {
        "other_missions",
        "meeting_kind",
        "meeting_level",
        "organisations_present",
    },
    "heads-of-mission-pc-special-session": {
        "other_missions",  # "OSCE heads of mission in the region"
        "locations",
        "meeting_kind",
        "meeting_level",
        "organisations_present",
    },
    "srb-un-eu-briefings": {"partners", "meeting_kind", "organisations_present"},
    # the focal point's own liaison: working level
    "srb-focal-point-liaison": {
        "partners",
        "meeting_kind",
        "meeting_level",
        "organisations_present",
    },
    "mkd-migration-working-group": {"meeting_kind", "organisations_present"},
    # "attended by the migration focal point and other OSCE officers"
    "mkd-weekly-coordination-meetings": {
        "partners",
        "meeting_kind",
        "meeting_level",
        "organisations_present",
    },
    "mne-coordination-meetings": {"meeting_kind", "organisations_present"},
    # §6.3
    "regional-cso-network-support": {"partners"},
    "regional-cso-network-workshops": {"partners", "event_kind"},
    "srb-bchr-report-translation": {"partners", "research_topic"},
    "ombudsman-conference-2015": {"partners", "event_kind", "outcome"},
    "tirana-ombudsman-conference": {"locations", "partners", "event_kind", "outcome"},
    "odihr-warsaw-expert-conference": {"locations", "partners", "event_kind", "outcome"},
    # §6.4
    "srb-presevo-youth-office-awareness": {"locations", "partners"},
    "srb-titulli-article-series": {"end", "partners"},  # "In November and December 2015"
    "bih-banja-luka-conference": {"locations", "partners", "event_kind"},
    # §6.5
    "srb-traffic-management-assistance": {"partners", "assistance_kind"},
    "srb-local-authorities-unhcr-dialogue": {"partners", "meeting_kind", "organisations_present"},
    "srb-regional-housing-programme": {"partners"},
    "mkd-frontline-workers-training": {"target_groups", "participants_total"},  # 60
    "mkd-lawyers-legal-aid-training": {"project", "target_groups", "participants_total"},  # 20
    "mkd-legal-aid-victims": {"project", "assistance_kind"},
    "mkd-judges-prosecutors-training": {"end", "target_groups", "participants_total"},  # 50
    # §6.6
    "srb-mobile-police-station": {"project"},
    "mkd-border-police-training": {"end", "project", "target_groups", "participants_total"},
    "mne-border-police-training-plans-2017": {"target_groups"},  # §4.2: a plan for 2017
    "bih-brcko-police-training-request": {"locations", "partners", "organisations_present"},
    "alb-border-points-computers": {"partners", "assistance_kind"},
    "alb-child-protection-information": {"end", "project"},  # end: "18-month" from Jan 2016
    "cthb-migration-routes-training": {
        "end",  # "two-year" from June 2016
        "partners",
        "project",
        "target_groups",
        "participants_total",  # "a total of 200 officials"
    },
    "alb-kos-jiec": set(),
    "mkd-mne-jiec": set(),
    "alb-trilateral-jiec-plans": set(),
    "mkd-greek-macedonian-contact-centre": {"partners"},
    "mne-irregular-migration-workshop": {"partners", "event_kind"},
    "srb-irregular-migration-crime-workshop": {"partners", "event_kind"},
    "srb-moi-skopje-regional-meeting": {
        "locations",
        "partners",
        "meeting_kind",
        "organisations_present",
    },
    "srb-mkd-regional-police-meetings": {
        "other_missions",
        "partners",
        "meeting_kind",
        "organisations_present",
    },
    "srb-mkd-regional-platform-proposal": {"other_missions"},
    "mkd-alb-law-enforcement-meeting": {"partners", "meeting_kind", "organisations_present"},
    "regional-anti-trafficking-coordinators-meeting": {
        "partners",
        "meeting_kind",
        "organisations_present",
    },
    "regional-anti-trafficking-contact-points-meeting": {"meeting_kind", "organisations_present"},
    "regional-heads-law-enforcement-meeting": {"meeting_kind", "organisations_present"},
    # §6.7
    "srb-latonero-research-support": {"partners", "research_topic"},
    "srb-latonero-consultative-meetings": {"partners", "organisations_present"},
    "bih-cve-salafist-research": {"end", "research_topic"},  # the 2015-2020 strategy
}

# Focal points whose `start` is the year the study attests the post, not a date it gives.
ATTESTED_START = {"mkd-police", "kos-second-dimension", "srb-anti-trafficking"}


def load(name: str):
    with open(SEEDS_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def activities() -> list[dict]:
    return load("activities.yaml")


def has_value(value) -> bool:
    return value not in (None, "", [])


def valued_fields(record: dict) -> set[str]:
    return {k for k, v in record.items() if has_value(v)} & OPTIONAL


# --- the fields each record gives --------------------------------------------------------------


def test_the_table_lists_every_seed_activity_and_no_other():
    keys = [rec["key"] for rec in activities()]
    assert sorted(keys) == sorted(GIVEN)
    assert set(GIVEN) >= UNDATED


@pytest.mark.parametrize("record", activities(), ids=lambda rec: rec["key"])
def test_a_seed_activity_has_values_exactly_where_the_study_gives_them(record):
    key = record["key"]
    given = GIVEN[key] | ({"end"} if key in UNDATED else set())
    valued = valued_fields(record)
    assert valued - given == set(), f"{key}: values the study does not give"
    assert given - valued == set(), f"{key}: GIVEN lists fields the record leaves empty"
    own = set(TYPE_FIELDS[ActivityType(record["type"])])
    assert valued <= own | COMMON_OPTIONAL, f"{key}: a field of another activity type"


@pytest.mark.parametrize("record", activities(), ids=lambda rec: rec["key"])
def test_undated_activities_span_the_core_period_and_say_so(record):
    undated = record["key"] in UNDATED
    says_so = "undated in the study" in record["summary"]
    assert undated == says_so, record["key"]
    if undated:
        assert (record["start"], record["end"]) == ("2015", "2016"), record["key"]


def test_no_seed_gives_an_alert_level():
    assert all(rec.get("alert_level") is None for rec in activities())


def test_reconstructed_visits_give_only_what_the_schedule_notes_say():
    schedule = load("reconstructed_visits.yaml")
    visits = expand_visit_schedule(schedule)
    assert visits
    with_overnight = {
        (plan["location"], str(period["from"]))
        for plan in schedule["schedules"]
        for period in plan["periods"]
        if period.get("overnight_every_nth")
    }
    # only the period whose note quotes "occasionally stayed in the field overnight"
    for plan in schedule["schedules"]:
        for period in plan["periods"]:
            quoted = "occasionally stayed in the field overnight" in period["note"]
            assert quoted == ((plan["location"], str(period["from"])) in with_overnight)
    for visit in visits:
        assert visit["team_size"] is None and visit["alert_level"] is None, visit["key"]
        for name in ("persons_observed", "observations", "findings"):
            assert not has_value(visit.get(name)), (visit["key"], name)
    overnight_periods = [v for v in visits if v["overnight"] is not None]
    assert overnight_periods and any(v["overnight"] for v in overnight_periods)
    assert len(overnight_periods) < len(visits)


def test_focal_points_say_where_the_start_is_only_attested():
    for rec in load("focal_points.yaml"):
        assert rec["end"] is None, rec["key"]
        attested = "gives no appointment date" in rec["notes"]
        assert attested == (rec["key"] in ATTESTED_START), rec["key"]


def test_reference_records_cite_a_source():
    for name in ("missions", "focal_points", "locations", "partners", "projects", "developments"):
        for rec in load(f"{name}.yaml"):
            assert re.match(r"^\d{3}( §|$|;)", rec["source"]), (name, rec)


# --- quotations are the sources' own words ----------------------------------------------------


def sources_dir() -> Path | None:
    """The study and the other documents: $FIELDLOG_SOURCES, or the nearest `shared/sources`
    above the repository (they are not part of it)."""
    if os.environ.get("FIELDLOG_SOURCES"):
        return Path(os.environ["FIELDLOG_SOURCES"])
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "sources").is_dir():
            return parent / "shared" / "sources"
    return None


def normalise(text: str) -> str:
    """Compare words, not typography: quotes, dashes, footnote marks, case and line breaks."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u2070\u00b9\u00b2\u00b3\u2074-\u2079]+", "", text)  # footnote marks
    typography = (("\u2018\u2019\u02bc", "'"), ("\u201c\u201d\u201e", '"'), ("\u2013\u2014", "-"))
    for chars, plain in typography:
        text = re.sub(f"[{chars}]", plain, text)
    text = text.replace("*", "")
    return re.sub(r"\s+", " ", text).strip().lower()


def quotations(value) -> list[str]:
    """The double-quoted passages in a seed value (nested lists and dicts included)."""
    if isinstance(value, dict):
        return [q for v in value.values() for q in quotations(v)]
    if isinstance(value, list):
        return [q for v in value for q in quotations(v)]
    if not isinstance(value, str):
        return []
    found = re.findall(r'"([^"]+)"', value)
    # a quoted date or number is the seed's own value ("2016" is the year ...), not a quotation
    return [q for q in found if not re.fullmatch(r"[\d\-Q]+", q)]


HEDGES = ("allegedly", "reportedly", "apparently", "purported", "seemed", "seems", "may")


def found_at(quote: str, document: str) -> int:
    """Where the quote's words stand, in order, in the document ("[...]" or "..." mark an
    omission); -1 when they do not."""
    parts = [normalise(p) for p in re.split(r"\[\.\.\.\]|\.\.\.|…", quote)]
    first = at = -1
    for part in filter(None, (p.strip(" .,;") for p in parts)):
        at = document.find(part, max(at, 0))
        if at < 0:
            return -1
        first = at if first < 0 else first
        at += len(part)
    return first


def hedge_before(at: int, document: str) -> str | None:
    """A hedge standing just before a quotation in the source ("allegedly expressed ...")."""
    words = re.findall(r"[a-z]+", document[max(0, at - 30) : at])[-2:]
    return next((w for w in words if w in HEDGES), None)


def seed_records():
    for name in ("missions", "focal_points", "locations", "partners", "projects", "developments"):
        for rec in load(f"{name}.yaml"):
            yield name, rec.get("key") or rec["code"], rec
    for rec in activities():
        yield "activities", rec["key"], rec
    schedule = load("reconstructed_visits.yaml")
    for plan in schedule["schedules"]:
        for period in plan["periods"]:
            yield (
                "reconstructed_visits",
                f"{plan['location']} {period['from']}",
                {
                    **period,
                    "source": schedule["source"],
                },
            )


def test_every_quotation_is_found_word_for_word_in_the_cited_source():
    folder = sources_dir()
    if folder is None:
        pytest.skip("the source documents (shared/sources) are not next to this checkout")
    documents = {
        path.name[:3]: normalise(path.read_text(encoding="utf-8")) for path in folder.glob("0*.txt")
    }
    assert "001" in documents
    missing, unhedged = [], []
    checked = 0
    for file, key, rec in seed_records():
        cited = re.findall(r"\b(00\d)\b", rec["source"])
        assert cited, (file, key, rec["source"])
        fields = {k: v for k, v in rec.items() if k != "source"}
        own_words = normalise(yaml.safe_dump(fields, allow_unicode=True, width=10_000))
        for quote in quotations(fields):
            checked += 1
            places = [(doc, found_at(quote, documents[doc])) for doc in cited if doc in documents]
            places = [(doc, at) for doc, at in places if at >= 0]
            if not places:
                missing.append(f"{file} {key}: {quote!r} (cites {', '.join(cited)})")
                continue
            hedge = hedge_before(places[0][1], documents[places[0][0]])
            if hedge and hedge not in own_words:
                unhedged.append(f"{file} {key}: the source says {hedge!r} before {quote!r}")
    assert not missing, "quotations not found in the cited source:\n" + "\n".join(missing)
    assert not unhedged, "hedges dropped from quotations:\n" + "\n".join(unhedged)
    assert checked > 100
