"""A dashboard's axes are computed over what its reader may see, like its figures.

A draft of one mission is its staff's own business: a reader elsewhere must not learn
from the first or last month of a series, the weeks of the visits heatmap or the latest
month with activity that it exists, or when it is dated. The charts and headline figures
count approved records only; the mission's own staff see its drafts counted apart.
"""

from __future__ import annotations

from tests.support import activity_body, create_activity

FAR_AWAY = "2031-06-16"  # years after the seeded data (2015–2017)
READERS_ELSEWHERE = ("cpc", "fp.mkd", "hom.mkd", "admin")
SRB_STAFF = ("fp.srb", "hom.srb")


def _axes(client) -> dict:
    """Every axis and bound the JSON answers give this reader (no period: open ends)."""
    seen = {}
    for code in ("MKD", "SRB"):
        dashboard = client.get(f"/api/v1/missions/{code}/dashboard")
        assert dashboard.status_code == 200, dashboard.text
        body = dashboard.json()
        seen[f"{code} months"] = body["by_month"]["months"]
        seen[f"{code} weeks"] = body["visits"]["weeks"]
        seen[f"{code} weeks from"] = body["visits"]["truncated_from"]
        seen[f"{code} last activity"] = body["summary"]["headline"]["last_activity"]
        summary = client.get(f"/api/v1/missions/{code}/summary").json()
        seen[f"{code} summary last activity"] = summary["headline"]["last_activity"]
        # a period ending after the draft: the weeks shown still end at the visible data
        bounded = client.get(f"/api/v1/missions/{code}/dashboard", params={"to": "2035"}).json()
        seen[f"{code} weeks to 2035"] = bounded["visits"]["weeks"][-1:]
        seen[f"{code} months to 2035"] = bounded["by_month"]["months"][-1:]
    compare = client.get("/api/v1/compare").json()
    seen["compare months"] = compare["by_month"]["months"]
    seen["compare last activity"] = {
        row["mission"]: row["headline"]["last_activity"] for row in compare["rows"]
    }
    return seen


def test_a_far_away_draft_moves_no_axis_for_readers_elsewhere_only_for_its_staff(client_as):
    readers = {who: client_as(who) for who in READERS_ELSEWHERE + SRB_STAFF}
    before = {who: _axes(client) for who, client in readers.items()}
    draft = create_activity(
        readers["fp.srb"],
        activity_body(
            "monitoring_visit",
            mission="SRB",
            start=FAR_AWAY,
            locations=["belgrade"],
            partners=[],
        ),
    )
    assert draft["status"] == "draft"
    after = {who: _axes(client) for who, client in readers.items()}

    for who in READERS_ELSEWHERE:
        changed = sorted(key for key in before[who] if before[who][key] != after[who][key])
        assert changed == [], f"{who} sees the SRB draft in: {changed}"
    for who in SRB_STAFF:
        # the charts and the headline count approved records: the draft is counted apart
        changed = sorted(key for key in before[who] if before[who][key] != after[who][key])
        assert changed == [], f"{who}'s charts moved for a draft: {changed}"
        summary = readers[who].get("/api/v1/missions/SRB/summary", params={"from": "2031"})
        assert summary.json()["headline"]["not_approved"]["draft"] == 1, who
        assert summary.json()["headline"]["monitoring_visits"] == 0, who


def test_the_pages_show_no_trace_of_another_missions_far_away_draft(client_as):
    srb = client_as("fp.srb")
    create_activity(
        srb,
        activity_body(
            "monitoring_visit", mission="SRB", start=FAR_AWAY, locations=["belgrade"], partners=[]
        ),
    )
    for who in READERS_ELSEWHERE:
        reader = client_as(who)
        for url in ("/missions/SRB", "/missions/MKD", "/compare"):
            page = reader.get(url)
            assert page.status_code == 200, (who, url)
            assert "2031" not in page.text, f"{who} sees 2031 on {url}"
    assert "2031" in srb.get("/missions/SRB").text  # in the timeline of its own records
    # counted apart, not in the approved figures
    assert "1 draft" in srb.get("/missions/SRB", params={"from": "2031"}).text
