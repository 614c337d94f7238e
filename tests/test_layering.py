"""One place for each rule: templates and pages ask the policy; folders import downwards only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from importlinter.cli import lint_imports
from sqlalchemy import select

import app.main  # noqa: F401  (the composition root hands the policy questions to the templates)
from app.accounts import policy as accounts_policy
from app.accounts.deps import MissionRef, Viewer
from app.accounts.models import User
from app.activities import policy as activities_policy
from app.web import env
from tests.support import FOCAL_POINT_MKD as FP_EMAIL
from tests.support import page_client, sign_in

ROOT = Path(__file__).resolve().parent.parent

# Where roles are rules or data rather than questions: the two policies; the role
# vocabulary; the users table and its service (which roles exist, which have a mission);
# the demo users; and the user administration form, which lists the roles to pick from.
ROLES_ALLOWED_IN = {
    "app/accounts/policy.py",
    "app/activities/policy.py",
    "app/vocab.py",
    "app/accounts/models.py",
    "app/accounts/service.py",
    "app/accounts/demo_users.py",
    "templates/accounts/users.html",
}

ROLE_COMPARISON = re.compile(
    r"\brole\s*(==|!=|\bnot\s+in\b|\bin\b)"  # user.role == …, role in (…)
    r"|(==|!=)\s*[\w.]*\brole\b"  # … == user.role
    r"|\bRole\.[A-Z_]+"  # Role.HEAD_OF_MISSION
    r"|\b(FOCAL_POINT|HEAD_OF_MISSION|CPC_DESK|MISSION_ROLES)\b"  # the policy's role constants
)
# In a template a role's name can only be there to compare it (Python code also names
# other things "focal_point", such as the appointments).
ROLE_NAME = re.compile(r"(?<![\w-])['\"](focal_point|head_of_mission|cpc_desk|admin)['\"]")


def role_comparisons(text: str, *, template: bool = False) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if ROLE_COMPARISON.search(line) or (template and ROLE_NAME.search(line))
    ]


def _files():
    for path in sorted((ROOT / "app").rglob("*.py")) + sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT).as_posix()
        if name not in ROLES_ALLOWED_IN:
            yield name, path


def test_pages_and_templates_ask_the_policy_instead_of_comparing_roles():
    found = {
        name: lines
        for name, path in _files()
        if (
            lines := role_comparisons(
                path.read_text(encoding="utf-8"), template=name.endswith(".html")
            )
        )
    }
    assert found == {}, "Ask a policy question (templates: can(...)) instead:\n" + "\n".join(
        f"{name}: {line}" for name, lines in found.items() for line in lines
    )


@pytest.mark.parametrize(
    "line",
    [
        "{% if user.role in ('focal_point', 'head_of_mission') %}<li>",
        "{% if user.role == 'admin' %}",
        "{% if 'head_of_mission' == user.role %}",
        '"can_log": user.role in policy.MISSION_ROLES and user.mission is not None,',
        '"is_hom": user.role == Role.HEAD_OF_MISSION.value,',
        "if user is not None and user.role == policy.HEAD_OF_MISSION:",
        'if role not in ("focal_point", "head_of_mission"):',
        "{% set reviewer = 'head_of_mission' %}",
    ],
)
def test_the_check_sees_role_comparisons(line):
    assert role_comparisons(line, template=True) == [line]


@pytest.mark.parametrize(
    "line",
    [
        '<div class="problem" role="alert">',
        "<p>{{ user.email }} · {{ user.role|label('Role') }}</p>",
        'typer.echo(f"Created {user.role} {user.email}.")',
        'FOCAL_POINT_FIELDS = ("code", "mission", "area")',
        '<a href="/admin/users">Users</a>',
    ],
)
def test_the_check_leaves_other_uses_of_role_alone(line):
    assert role_comparisons(line, template=True) == []


def test_imports_keep_the_layers(capsys):
    """The import-linter contracts in pyproject.toml (scripts/test.sh runs them too)."""
    result = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    assert result == 0, capsys.readouterr().out


# --- the policy questions -------------------------------------------------------------------


def _viewer(role: str, mission_id: int | None = None) -> Viewer:
    mission = MissionRef(mission_id, f"M{mission_id}", "Mission", "Mission") if mission_id else None
    return Viewer(
        id=1,
        email="x@osce.example",
        name="X",
        role=role,
        mission_id=mission_id,
        mission=mission,
        is_demo=False,
    )


FP = _viewer("focal_point", 1)
HOM = _viewer("head_of_mission", 1)
OTHER_HOM = _viewer("head_of_mission", 2)
CPC = _viewer("cpc_desk")
ADMIN = _viewer("admin")
EVERYONE = {"fp": FP, "hom": HOM, "other_hom": OTHER_HOM, "cpc": CPC, "admin": ADMIN, "anon": None}


def _who(question, *args) -> set[str]:
    return {name for name, user in EVERYONE.items() if question(user, *args)}


def test_mission_staff_log_and_import_activities():
    assert _who(accounts_policy.can_log_activities) == {"fp", "hom", "other_hom"}
    assert _who(accounts_policy.can_import) == {"fp", "hom", "other_hom"}


def test_administrators_manage_users_and_reference_data():
    assert _who(accounts_policy.can_manage_users) == {"admin"}
    assert _who(accounts_policy.can_manage_reference) == {"admin"}


def test_only_focal_points_and_heads_of_mission_have_a_mission():
    roles = ("focal_point", "head_of_mission", "cpc_desk", "admin")
    assert {r for r in roles if accounts_policy.role_has_mission(r)} == {
        "focal_point",
        "head_of_mission",
    }


def test_only_the_missions_own_head_reviews_its_records():
    assert _who(activities_policy.can_review_mission, 1) == {"hom"}
    assert _who(activities_policy.can_review_mission, 2) == {"other_hom"}


def test_templates_ask_the_policy_for_the_signed_in_user():
    template = env.from_string(
        '{{ can("review_mission", 1) }} {{ can("import") }} {{ can("manage_users") }}'
    )
    assert template.render(user=HOM) == "True True False"
    assert template.render(user=OTHER_HOM) == "False True False"
    assert template.render(user=ADMIN) == "False False True"
    assert template.render(user=None) == "False False False"


def test_templates_asking_an_unknown_question_fail_loudly():
    with pytest.raises(LookupError, match="review_everything"):
        env.from_string('{{ can("review_everything") }}').render(user=ADMIN)


# --- what people see ------------------------------------------------------------------------


def _nav(page: str) -> str:
    return page.split('<nav class="container-fluid"', 1)[1].split("</nav>", 1)[0]


@pytest.mark.parametrize(
    ("who", "import_link", "users_link"),
    [
        ("fp.srb", True, False),
        ("hom.mkd", True, False),
        ("cpc", False, False),
        ("admin", False, True),
    ],
)
def test_the_menu_offers_what_the_policy_allows(client_as, who, import_link, users_link):
    nav = _nav(client_as(who).get("/activities").text)
    # everyone exports (issue 14); mission staff also import there
    assert 'href="/imports"' in nav
    assert ('<a href="/imports">Import and export</a>' in nav) is import_link
    assert ('<a href="/imports">Export</a>' in nav) is not import_link
    assert ('href="/admin/users"' in nav) is users_link


@pytest.mark.parametrize(
    ("who", "sees_queue"),
    [("hom.mkd", True), ("fp.mkd", False), ("hom.srb", False), ("cpc", False)],
)
def test_the_review_queue_shows_to_the_missions_head_only(client_as, who, sees_queue):
    page = client_as(who).get("/missions/MKD")
    assert page.status_code == 200
    assert ("Waiting for your review" in page.text) is sees_queue


@pytest.mark.parametrize(("who", "offered"), [("fp.mkd", True), ("cpc", False)])
def test_logging_and_importing_are_offered_to_mission_staff(client_as, who, offered):
    client = client_as(who)
    assert ('href="/activities/new"' in client.get("/activities").text) is offered
    assert ('action="/imports"' in client.get("/imports").text) is offered


# --- user administration (with the missions, above accounts) --------------------------------


def test_adding_a_user_for_an_unknown_mission_explains(client_as):
    response = client_as("admin").post(
        "/admin/users",
        data={
            "email": "new.fp@osce.example",
            "name": "New Focal Point",
            "role": "focal_point",
            "mission": "XYZ",
            "password": "a-long-and-unusual-passphrase",
        },
    )
    assert response.status_code == 422
    assert "no mission with code" in response.text
    assert 'value="new.fp@osce.example"' in response.text


def test_moving_a_focal_point_to_another_mission_signs_them_out(app, client_as, session):
    fp_id = session.scalar(select(User.id).where(User.email == FP_EMAIL))
    session.rollback()
    browser_of_fp = page_client(app)
    sign_in(browser_of_fp)
    admin = client_as("admin")

    def save(**form):
        data = {"active": "true", **form}
        return admin.post(f"/admin/users/{fp_id}", data=data, follow_redirects=False)

    assert save(role="focal_point", mission="MKD").status_code == 303  # nothing changed
    assert browser_of_fp.get("/account").status_code == 200
    assert save(role="focal_point", mission="SRB").status_code == 303
    assert browser_of_fp.get("/account").headers["location"].startswith("/login")
    assert session.get(User, fp_id).mission.code == "SRB"
    refused = save(role="cpc_desk", mission="SRB")
    assert refused.status_code == 422
    assert "only focal points and heads of mission belong to a mission" in refused.text
