"""Draw FieldLog's app icons (static/icons/icon-192.png, icon-512.png) without an image
library: a blue square with a white page carrying three ruled lines, written as PNG with
zlib. Run again after changing the drawing: `python scripts/make_icons.py`."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BLUE = (31, 111, 178)
WHITE = (255, 255, 255)
ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"


def pixel(x: float, y: float) -> tuple[int, int, int]:
    """The colour at (x, y), both from 0 to 1: the drawing is resolution-free."""
    # The page sits inside the central 60 %, so a maskable icon's safe zone keeps it whole.
    if 0.28 <= x <= 0.72 and 0.22 <= y <= 0.78:
        for line in (0.38, 0.50, 0.62):
            if 0.34 <= x <= 0.66 and line <= y <= line + 0.035:
                return BLUE
        return WHITE
    return BLUE


def png(size: int) -> bytes:
    rows = b"".join(
        b"\x00" + bytes(c for x in range(size) for c in pixel(x / size, y / size))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (ICONS / f"icon-{size}.png").write_bytes(png(size))
        print(ICONS / f"icon-{size}.png")
