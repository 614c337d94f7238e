"""The installable web app's service worker at /sw.js: static/sw.js, with the list of
app-shell files it precaches filled in. (The web app manifest is a static file,
static/manifest.webmanifest, linked from templates/base.html.)

The worker is served from the root, not /static/, so its scope is the whole app; each
precached file carries a hash of its bytes, so a changed file is fetched again and an
unchanged one is not.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from app.accounts.deps import Public

STATIC = Path(__file__).resolve().parent.parent / "static"

# What the activity form needs to work without a connection (its page is cached apart,
# network-first: see static/sw.js).
APP_SHELL = (
    "vendor/pico/pico.min.css",
    "css/app.css",
    "css/activities.css",
    "css/device.css",
    "js/activity-form.js",
    "js/autosave.js",
    "js/outbox.js",
    "js/device-store.js",
    "vendor/idb/idb.umd.js",
    "vendor/workbox/workbox-sw.js",
    "vendor/workbox/workbox-core.prod.js",
    "vendor/workbox/workbox-routing.prod.js",
    "vendor/workbox/workbox-strategies.prod.js",
    "vendor/workbox/workbox-precaching.prod.js",
    "vendor/workbox/workbox-expiration.prod.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "manifest.webmanifest",
)
MANIFEST_PLACEHOLDER = "self.__WB_MANIFEST"

router = APIRouter(include_in_schema=False)


def precache_manifest() -> list[dict[str, str]]:
    """Workbox's precache list: each app-shell file's address and a hash of its bytes."""
    return [
        {
            "url": f"/static/{name}",
            "revision": hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:16],
        }
        for name in APP_SHELL
        if (STATIC / name).is_file()
    ]


@lru_cache(maxsize=1)
def service_worker_source() -> str:
    """static/sw.js with its precache list (read once per process: static files change
    only with a deploy)."""
    source = (STATIC / "sw.js").read_text(encoding="utf-8")
    if MANIFEST_PLACEHOLDER not in source:
        raise RuntimeError(f"static/sw.js has no {MANIFEST_PLACEHOLDER} to fill in")
    return source.replace(MANIFEST_PLACEHOLDER, json.dumps(precache_manifest()), 1)


@router.get("/sw.js")
def service_worker(user: Public) -> Response:
    """The service worker, for everyone (it holds no data; the sign-in page registers it
    too). `no-cache`: the browser checks for a new version on every visit."""
    return Response(
        service_worker_source(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
