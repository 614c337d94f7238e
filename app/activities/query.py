"""The activity list's query: filters, period, order, cursor and page size, checked once.

The JSON list, the exports and the /activities page all read the same models, so a
filter means the same thing and a bad value is refused with the same message, on the
same field, wherever it is typed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import groupby
from typing import Annotated, Literal
from urllib.parse import urlencode

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from sqlalchemy.orm import Session

from app.accounts.actor import Actor
from app.activities import listing, search, service
from app.config import get_settings
from app.errors import FieldError, ValidationFailed
from app.missions import countries
from app.missions import service as missions
from app.missions.models import Location
from app.schemas_common import Code, NoNul, PeriodQuery, one_of, refused_as
from app.vocab import ActivityType, Provenance, ResponseArea, Status, Theme

PAGE_SIZE = 25  # the page's default; the API's is ActivityQuery.limit's
MAX_LIMIT = 1000
SORT_LABELS = {
    service.RELEVANCE: "Best match",
    "-start": "Newest first",
    "start": "Oldest first",
    "title": "Title A–Z",
    "-title": "Title Z–A",
    "-updated": "Recently changed",
    "updated": "Least recently changed",
    "-created": "Recently logged",
    "created": "First logged",
}
DEFAULT_SORT = "-start"
SORT_CHOICES = [service.RELEVANCE, *service.SORT_CHOICES]
SortChoice = Literal[tuple(SORT_CHOICES)]  # type: ignore[valid-type]


def default_sort(q: str | None) -> str:
    """Best match when words are searched for, else newest first."""
    return service.RELEVANCE if search.terms(q) else DEFAULT_SORT


def effective_sort(sort: str | None, q: str | None) -> str:
    """The order a list is read in: as asked, or the default; best match without words to
    rank by is newest first."""
    if sort is None or (sort == service.RELEVANCE and not search.terms(q)):
        return default_sort(q)
    return sort


class ActivityFilterQuery(PeriodQuery):
    """Which activities: the filters the list and the exports share."""

    mission: Annotated[str, Field(max_length=8)] | None = Field(
        default=None, description="A mission code: activities it leads or takes part in."
    )
    type: Annotated[ActivityType, one_of(ActivityType)] | None = Field(
        default=None, description="Activity type."
    )
    area: Annotated[ResponseArea, one_of(ResponseArea)] | None = Field(
        default=None, description="Response area."
    )
    theme: Annotated[Theme, one_of(Theme)] | None = Field(
        default=None, description="One of the themes."
    )
    status: Annotated[Status, one_of(Status)] | None = Field(
        default=None, description="Workflow state."
    )
    location: Code | None = Field(
        default=None, description="A location code: activities at that place."
    )
    provenance: Annotated[Provenance, one_of(Provenance)] | None = Field(
        default=None, description="How the record came in."
    )
    q: Annotated[str, Field(max_length=200), NoNul] | None = Field(
        default=None,
        description="Words to search for, in any spelling (Latin or Cyrillic, with or "
        "without diacritics), as word beginnings: all must appear in the title, summary, "
        "observations, outcome, review comment, or a location's or partner's name.",
    )
    joint: bool = Field(default=False, description="Only activities with other missions.")

    def filters(self, session: Session) -> service.ActivityFilters:
        """The filters this query means. Codes that name nothing are refused on their field
        (the shape was checked without a database; existence needs one)."""
        errors = []
        mission = location = None
        if self.mission:
            mission = missions.get_by_code(session, self.mission)
            if mission is None:
                errors.append(_unknown("mission", self.mission))
        if self.location:
            location = missions.by_code(session, Location, [self.location]).get(self.location)
            if location is None:
                errors.append(_unknown("location", self.location))
        if errors:
            raise ValidationFailed(errors)
        return service.ActivityFilters(
            mission=mission,
            type=self.type,
            area=self.area,
            theme=self.theme,
            status=self.status,
            location=location,
            provenance=self.provenance,
            date_from=self.first_day,
            date_to=self.last_day,
            q=self.q,
            joint=self.joint or None,
        )


def _unknown(name: str, code: str) -> FieldError:
    return FieldError(("query", name), f"there is no {name} with the code {code!r}")


class ActivityQuery(ActivityFilterQuery):
    """The filters, and which page of the list in which order."""

    sort: (
        Annotated[
            SortChoice,  # type: ignore[valid-type]
            refused_as(f"choose one of the listed orders: {', '.join(SORT_CHOICES)}"),
        ]
        | None
    ) = Field(
        default=None,
        description="Field, '-' for descending; 'relevance' for the best matches of `q` "
        "first (the default with `q`; '-start' without).",
    )
    cursor: str | None = Field(
        default=None, max_length=500, description="`next_cursor` of the page before."
    )
    limit: Annotated[
        int,
        Field(ge=1, le=MAX_LIMIT),
        refused_as(f"a page holds between 1 and {MAX_LIMIT} activities", with_reason=True),
    ] = Field(default=50, description="Rows a page (the server may cap it lower).")

    @field_validator("cursor")
    @classmethod
    def _cursor_fits_this_list(cls, cursor: str | None, info: ValidationInfo):
        """A cursor is only good for the order it was made in; a bad order is its own error."""
        if cursor is not None and "sort" in info.data:
            service.decode_cursor(cursor, effective_sort(info.data["sort"], info.data.get("q")))
        return cursor

    @property
    def order(self) -> str:
        """The order asked for, or the default for the words given."""
        return effective_sort(self.sort, self.q)

    def page_size(self, default: int | None = None) -> int:
        """The rows to show: as asked (or `default` if not asked), capped by the settings."""
        asked = self.limit if default is None or "limit" in self.model_fields_set else default
        return min(asked, get_settings().page_size_max)

    def page(
        self, session: Session, *, reader: Actor | None, default_limit: int | None = None
    ) -> listing.ListPage:
        """The page this query asks for, of the rows `reader` may see: the one answer
        behind the list page and the JSON list."""
        return listing.list_page(
            session,
            reader=reader,
            filters=self.filters(session),
            sort=self.order,
            limit=self.page_size(default_limit),
            cursor=self.cursor,
        )


# --- the /activities page ---------------------------------------------------------------------

FILTER_KEYS = tuple(
    field.alias or name for name, field in ActivityFilterQuery.model_fields.items()
) + ("sort",)


def typed(params: Mapping[str, str]) -> dict[str, str]:
    """The filter form as typed, to show again (also when it is refused)."""
    return {key: (params.get(key) or "").strip() for key in FILTER_KEYS}


def messages(exc: ValidationError | ValidationFailed) -> dict[str, str]:
    """{query parameter: message}, the first per parameter, to show next to its control."""
    if isinstance(exc, ValidationError):
        items = [(e["loc"], str(e["msg"]).removeprefix("Value error, ")) for e in exc.errors()]
    else:
        items = [(e.loc, e.msg) for e in exc.errors]
    found: dict[str, str] = {}
    for loc, msg in items:
        names = [part for part in loc if isinstance(part, str) and part != "query"]
        found.setdefault(names[0] if names else "__all__", msg)
    return found


def page_number(text: str | None) -> int:
    """The page's ordinal for "showing 26–50"; only a label, so anything odd is page 1."""
    return int(text) if text and re.fullmatch(r"[1-9]\d{0,5}", text) else 1


def location_choices(session: Session) -> list[tuple[str, list[Location]]]:
    """Locations by country, then name, for the filter's grouped select."""
    rows = sorted(
        missions.list_locations(session),
        key=lambda loc: (countries.country_name(loc.country), loc.name),
    )
    return [(country, list(group)) for country, group in groupby(rows, lambda r: r.country)]


def query_string(form: dict[str, str], **extra) -> str:
    default = default_sort(form.get("q"))
    pairs = [(k, v) for k, v in form.items() if v and not (k == "sort" and v == default)]
    pairs += [(k, str(v)) for k, v in extra.items() if v not in (None, "")]
    return urlencode(pairs)


def small_int(text: str | None, default: int, low: int, high: int) -> int | None:
    """A small positive whole number from a form; None if it is not one (form versions)."""
    if not text:
        return default
    if not re.fullmatch(r"\d{1,10}", text.strip()):
        return None
    value = int(text)
    return value if low <= value <= high else None
