"""The installable web app: the service worker served at the root with its precache
list, the manifest and its icons, and pages that link them without weakening the CSP.
(What the worker does in a browser is in tests/browser/test_offline.py.)"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

from app.offline import APP_SHELL, STATIC, precache_manifest
from app.security import CSP

ROOT = Path(__file__).resolve().parent.parent


def test_the_worker_is_served_at_the_root_with_every_app_shell_file(anonymous):
    answer = anonymous.get("/sw.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["service-worker-allowed"] == "/"
    body = answer.text
    assert "self.__WB_MANIFEST" not in body
    listed = json.loads(re.search(r"precacheAndRoute\((\[.*?\])\)", body).group(1))
    assert [entry["url"] for entry in listed] == [f"/static/{name}" for name in APP_SHELL]
    for entry in listed:
        served = anonymous.get(entry["url"])
        assert served.status_code == 200, entry["url"]


def test_a_changed_file_changes_its_revision(tmp_path, monkeypatch):
    before = {entry["url"]: entry["revision"] for entry in precache_manifest()}
    copy = tmp_path / "static"
    for name in APP_SHELL:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((STATIC / name).read_bytes())
    (copy / "css/app.css").write_text("body { color: black }")
    monkeypatch.setattr("app.offline.STATIC", copy)
    after = {entry["url"]: entry["revision"] for entry in precache_manifest()}
    changed = {url for url in before if before[url] != after[url]}
    assert changed == {"/static/css/app.css"}


def test_workbox_modules_come_from_the_app_not_a_cdn():
    worker = (STATIC / "sw.js").read_text()
    assert 'modulePathPrefix: "/static/vendor/workbox/"' in worker
    assert 'importScripts("/static/vendor/workbox/workbox-sw.js")' in worker
    assert "https://" not in worker
    # every module the worker touches is vendored (prod builds: debug is off)
    used = set(re.findall(r"workbox\.(core|routing|strategies|precaching|expiration)\.", worker))
    for module in used:
        assert (STATIC / "vendor" / "workbox" / f"workbox-{module}.prod.js").is_file(), module


def test_the_manifest_names_the_app_and_its_icons_exist_at_their_sizes():
    manifest = json.loads((STATIC / "manifest.webmanifest").read_text())
    assert manifest["name"] == "FieldLog" and manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        path = ROOT / icon["src"].lstrip("/")
        width, height = struct.unpack(">II", path.read_bytes()[16:24])
        assert f"{width}x{height}" == icon["sizes"], icon["src"]


def test_pages_link_the_manifest_and_carry_whose_device_copies_they_are(client_as):
    fp = client_as("fp.mkd")
    page = fp.get("/activities/new").text
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    assert re.search(r'<body data-user="\d+" data-offline-form="/activities/new">', page)
    assert '<script src="/static/js/autosave.js" defer></script>' in page
    assert "<script>" not in page  # no inline scripts
    # a reader who may not log activities has no form kept for them
    cpc = client_as("cpc").get("/compare").text
    assert re.search(r'<body data-user="\d+">', cpc)
    # the sign-in page: nobody's copies
    assert "<body>" in client_as(None).get("/login").text


def test_the_content_security_policy_is_unchanged_by_the_worker():
    assert "script-src 'self'" in CSP.split("; ")
    assert "unsafe-eval" not in CSP
    assert "script-src 'self' 'unsafe-inline'" not in CSP
