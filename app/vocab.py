"""Controlled vocabularies: the one place each enum's values and labels live.

Values are stored as strings in the database (with CHECK constraints built from
these lists), so adding a value needs a migration that widens the constraint.
"""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A string enum whose members carry a human label."""

    label: str

    def __new__(cls, value: str, label: str | None = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value.replace("_", " ").capitalize()
        return member

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]


class ActivityType(Labelled):
    MONITORING_VISIT = "monitoring_visit", "Monitoring visit"
    TRAINING = "training", "Training"
    REPORT = "report", "Report"
    MEETING = "meeting", "Meeting"
    EVENT = "event", "Event"
    AWARENESS = "awareness", "Awareness raising"
    ASSISTANCE = "assistance", "Assistance"
    RESEARCH_SUPPORT = "research_support", "Research support"


class ResponseArea(Labelled):
    """The study's seven lenses (001 §6.1–6.7)."""

    MONITORING = "monitoring", "Monitoring"
    REPORTING_LIAISING = "reporting_liaising", "Reporting & liaising"
    HUMAN_RIGHTS = "human_rights", "Human-rights-based approach"
    AWARENESS_RAISING = "awareness_raising", "Awareness raising"
    LOCAL_GOVERNANCE = "local_governance", "Local governance & civil society"
    POLICING_CRIME = "policing_crime", "Policing & migration-related crime"
    RESEARCH = "research", "Research"


class Theme(Labelled):
    BORDER_MANAGEMENT = "border_management", "Border management"
    ANTI_TRAFFICKING = "anti_trafficking", "Anti-trafficking"
    ANTI_SMUGGLING = "anti_smuggling", "Anti-smuggling"
    PROTECTION_HUMAN_RIGHTS = "protection_human_rights", "Protection & human rights"
    ASYLUM = "asylum", "Asylum"
    TOLERANCE = "tolerance_non_discrimination", "Tolerance & non-discrimination"
    INTEGRATION = "integration", "Integration"
    LABOUR_MIGRATION = "labour_migration", "Labour migration"
    POLICING = "policing", "Policing"
    REGIONAL_COOPERATION = "regional_cooperation", "Regional co-operation"
    EARLY_WARNING = "early_warning", "Early warning"
    GENDER = "gender", "Gender"
    CVE = "countering_violent_extremism", "Countering violent extremism"


class Dimension(Labelled):
    POLITICO_MILITARY = "politico_military", "Politico-military"
    ECONOMIC_ENVIRONMENTAL = "economic_environmental", "Economic-environmental"
    HUMAN = "human", "Human"
    CROSS_DIMENSIONAL = "cross_dimensional", "Cross-dimensional"


class Status(Labelled):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned"


class Provenance(Labelled):
    """Where a record came from: study records never mix with synthetic ones."""

    STUDY = "study", "From the study"
    RECONSTRUCTED = "reconstructed", "Reconstructed from the study"
    SYNTHETIC = "synthetic", "Synthetic (demo)"
    ENTERED = "entered", "Entered"
    IMPORTED = "imported", "Imported"


class DatePrecision(Labelled):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class AlertLevel(Labelled):
    NONE = "none", "None"
    LOW = "low", "Low"
    ELEVATED = "elevated", "Elevated"
    HIGH = "high", "High"


class Finding(Labelled):
    UNDERSTAFFING = "understaffing", "Understaffing"
    CORRUPTION_CONCERN = "corruption_concern", "Corruption concern"
    LACK_OF_EQUIPMENT = "lack_of_equipment", "Lack of equipment"
    PROTECTION_CONCERN = "protection_concern", "Protection concern"
    SMUGGLING_INDICATION = "smuggling_indication", "Smuggling indication"
    TRAFFICKING_INDICATION = "trafficking_indication", "Trafficking indication"
    OVERCROWDING = "overcrowding", "Overcrowding"
    UNPREPARED_AUTHORITIES = "unprepared_authorities", "Authorities unprepared"
    INCIDENT = "incident", "Incident"


class TargetGroup(Labelled):
    BORDER_POLICE = "border_police", "Border police"
    POLICE = "police", "Police"
    JUDGES_PROSECUTORS = "judges_prosecutors", "Judges and prosecutors"
    LAWYERS = "lawyers", "Lawyers"
    SOCIAL_WORKERS = "social_workers", "Social workers"
    NGO_ACTIVISTS = "ngo_activists", "NGO activists"
    OFFICIALS = "officials", "Officials"


class ReportKind(Labelled):
    BACKGROUND = "background", "Background report"
    SPOT = "spot", "Spot report"
    THEMATIC = "thematic", "Thematic report"
    UPDATE = "update", "Update"
    PERIODIC = "periodic", "Periodic report"


class Recipient(Labelled):
    PERMANENT_COUNCIL = "permanent_council", "Permanent Council"
    CPC = "cpc", "Conflict Prevention Centre"
    PARTICIPATING_STATES = "participating_states", "Participating States"


class MeetingKind(Labelled):
    COORDINATION = "coordination", "Coordination"
    BILATERAL = "bilateral", "Bilateral"
    REGIONAL = "regional", "Regional"
    BRIEFING = "briefing", "Briefing"


class MeetingLevel(Labelled):
    HEAD_OF_MISSION = "head_of_mission", "Head of mission"
    WORKING_LEVEL = "working_level", "Working level"


class EventKind(Labelled):
    CONFERENCE = "conference", "Conference"
    WORKSHOP = "workshop", "Workshop"
    ROUNDTABLE = "roundtable", "Roundtable"


class AssistanceKind(Labelled):
    EQUIPMENT = "equipment", "Equipment"
    EXPERTISE = "expertise", "Expertise"
    LEGAL_AID = "legal_aid", "Legal aid"


class LocationKind(Labelled):
    FIELD_OFFICE = "field_office", "Field office"
    BORDER_CROSSING = "border_crossing", "Border crossing point"
    TRANSIT_CENTRE = "transit_centre", "Transit or reception centre"
    MUNICIPALITY = "municipality", "Municipality"
    OTHER = "other", "Other"


class PartnerKind(Labelled):
    UN_AGENCY = "un_agency", "UN agency"
    OSCE_STRUCTURE = "osce_structure", "OSCE structure"
    GOVERNMENT = "government", "Government body"
    NGO = "ngo", "NGO"
    ACADEMIA = "academia", "Academia"
    MEDIA = "media", "Media"
    EU = "eu", "European Union"
    OTHER = "other", "Other"


class FocalPointArea(Labelled):
    MIGRATION = "migration", "Migration"
    POLICE = "police", "Police"
    ANTI_TRAFFICKING = "anti_trafficking", "Anti-trafficking"
    SECOND_DIMENSION = "second_dimension", "Second dimension"


class Funding(Labelled):
    UNIFIED_BUDGET = "unified_budget", "Unified budget"
    EXTRA_BUDGETARY = "extra_budgetary", "Extra-budgetary"


class Role(Labelled):
    FOCAL_POINT = "focal_point", "Focal point"
    HEAD_OF_MISSION = "head_of_mission", "Head of mission"
    CPC_DESK = "cpc_desk", "CPC desk"
    ADMIN = "admin", "Administrator"
