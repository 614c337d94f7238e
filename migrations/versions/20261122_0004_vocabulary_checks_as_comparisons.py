"""Vocabulary CHECKs as chains of comparisons (x = 'a' OR x = 'b') instead of IN lists.

SQLite builds the lookup table for an IN list afresh each time a statement runs, and a
bulk INSERT runs once per row: on activities, with fourteen such checks, that was about
a third of the cost of inserting a row (3 s of a 100,000-row import). A chain of
comparisons accepts exactly the same values, and NULL, as IN did. PostgreSQL gets the
same text, so both databases hold what the models declare.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 20:55:00.000000

Every migration is revertable: downgrade() undoes exactly what upgrade() does.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> constraint -> (column, allowed values, whether the old text began "x IS NULL OR")
CHECKS: dict[str, dict[str, tuple[str, tuple[str, ...], bool]]] = {
    "developments": {
        "ck_developments_occurred_precision_valid": (
            "occurred_precision",
            ("day", "month", "quarter", "year"),
            False,
        ),
        "ck_developments_provenance_valid": (
            "provenance",
            ("study", "reconstructed", "synthetic", "entered", "imported"),
            False,
        ),
    },
    "partners": {
        "ck_partners_kind_valid": (
            "kind",
            (
                "un_agency",
                "osce_structure",
                "government",
                "ngo",
                "academia",
                "media",
                "eu",
                "other",
            ),
            False,
        )
    },
    "focal_point_appointments": {
        "ck_focal_point_appointments_area_valid": (
            "area",
            ("migration", "police", "anti_trafficking", "second_dimension"),
            False,
        ),
        "ck_focal_point_appointments_end_precision_valid": (
            "end_precision",
            ("day", "month", "quarter", "year"),
            True,
        ),
        "ck_focal_point_appointments_start_precision_valid": (
            "start_precision",
            ("day", "month", "quarter", "year"),
            False,
        ),
    },
    "locations": {
        "ck_locations_kind_valid": (
            "kind",
            ("field_office", "border_crossing", "transit_centre", "municipality", "other"),
            False,
        )
    },
    "projects": {
        "ck_projects_end_precision_valid": (
            "end_precision",
            ("day", "month", "quarter", "year"),
            True,
        ),
        "ck_projects_funding_valid": ("funding", ("unified_budget", "extra_budgetary"), False),
        "ck_projects_start_precision_valid": (
            "start_precision",
            ("day", "month", "quarter", "year"),
            True,
        ),
    },
    "users": {
        "ck_users_role_valid": (
            "role",
            ("focal_point", "head_of_mission", "cpc_desk", "admin"),
            False,
        )
    },
    "activities": {
        "ck_activities_alert_level_valid": (
            "alert_level",
            ("none", "low", "elevated", "high"),
            False,
        ),
        "ck_activities_assistance_kind_valid": (
            "assistance_kind",
            ("equipment", "expertise", "legal_aid"),
            False,
        ),
        "ck_activities_dimension_valid": (
            "dimension",
            ("politico_military", "economic_environmental", "human", "cross_dimensional"),
            False,
        ),
        "ck_activities_end_precision_valid": (
            "end_precision",
            ("day", "month", "quarter", "year"),
            True,
        ),
        "ck_activities_event_kind_valid": (
            "event_kind",
            ("conference", "workshop", "roundtable"),
            False,
        ),
        "ck_activities_meeting_kind_valid": (
            "meeting_kind",
            ("coordination", "bilateral", "regional", "briefing"),
            False,
        ),
        "ck_activities_meeting_level_valid": (
            "meeting_level",
            ("head_of_mission", "working_level"),
            False,
        ),
        "ck_activities_provenance_valid": (
            "provenance",
            ("study", "reconstructed", "synthetic", "entered", "imported"),
            False,
        ),
        "ck_activities_report_kind_valid": (
            "report_kind",
            ("background", "spot", "thematic", "update", "periodic"),
            False,
        ),
        "ck_activities_response_area_valid": (
            "response_area",
            (
                "monitoring",
                "reporting_liaising",
                "human_rights",
                "awareness_raising",
                "local_governance",
                "policing_crime",
                "research",
            ),
            False,
        ),
        "ck_activities_start_precision_valid": (
            "start_precision",
            ("day", "month", "quarter", "year"),
            False,
        ),
        "ck_activities_status_valid": (
            "status",
            ("draft", "submitted", "approved", "returned"),
            False,
        ),
        "ck_activities_target_group_valid": (
            "target_group",
            (
                "border_police",
                "police",
                "judges_prosecutors",
                "lawyers",
                "social_workers",
                "ngo_activists",
                "officials",
            ),
            False,
        ),
        "ck_activities_type_valid": (
            "type",
            (
                "monitoring_visit",
                "training",
                "report",
                "meeting",
                "event",
                "awareness",
                "assistance",
                "research_support",
            ),
            False,
        ),
    },
    "audit_entries": {
        "ck_audit_entries_action_valid": (
            "action",
            ("create", "update", "delete", "transition", "login", "login_failed", "logout"),
            False,
        )
    },
    "activity_themes": {
        "ck_activity_themes_theme_valid": (
            "theme",
            (
                "border_management",
                "anti_trafficking",
                "anti_smuggling",
                "protection_human_rights",
                "asylum",
                "tolerance_non_discrimination",
                "integration",
                "labour_migration",
                "policing",
                "regional_cooperation",
                "early_warning",
                "gender",
                "countering_violent_extremism",
            ),
            False,
        )
    },
}


def _as_in_list(column: str, values: tuple[str, ...], null_first: bool) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return (f"{column} IS NULL OR " if null_first else "") + f"{column} IN ({listed})"


def _as_comparisons(column: str, values: tuple[str, ...], _null_first: bool) -> str:
    return " OR ".join(f"{column} = '{v}'" for v in values)


def _rewrite(text_of) -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, spec in checks.items():
                batch.drop_constraint(op.f(name), type_="check")
                batch.create_check_constraint(op.f(name), text_of(*spec))
    if op.get_bind().dialect.name == "sqlite":
        # Rebuilding audit_entries (SQLite's way to change a CHECK) dropped its triggers;
        # the audit trail stays append-only (as revision 0002 made it).
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entries_no_{event.lower()} BEFORE {event} ON audit_entries "
                f"BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: {event} is not "
                "allowed'); END"
            )


def upgrade() -> None:
    _rewrite(_as_comparisons)


def downgrade() -> None:
    _rewrite(_as_in_list)
