"""Draws Strata's icons (stacked layers, the 'strata') as PNGs with the standard library only.

Run from this folder: python3 make_icons.py. The PNGs are committed; rerun after a change.
"""
import struct
import zlib


def png(path, size, pixel):
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y, size)) for x in range(size)) for y in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def layers(colors, badge=None):
    """Three rounded bands, top to bottom in `colors`; an optional round badge bottom-right."""

    def pixel(x, y, size):
        u, v = (x + 0.5) / size, (y + 0.5) / size
        if badge and (u - 0.78) ** 2 + (v - 0.78) ** 2 < 0.2 ** 2:
            return (*badge, 255)
        for i, color in enumerate(colors):
            top = 0.16 + i * 0.25
            inset = 0.1 + (2 - i) * 0.06
            if top <= v <= top + 0.18 and inset <= u <= 1 - inset:
                return (*color, 255)
        return (0, 0, 0, 0)

    return pixel


BLUES = [(96, 165, 250), (59, 130, 246), (29, 78, 216)]
png("icon.png", 256, layers(BLUES))
png("tray-idle.png", 32, layers(BLUES))
png("tray-syncing.png", 32, layers(BLUES, badge=(34, 197, 94)))
png("tray-paused.png", 32, layers(BLUES, badge=(234, 179, 8)))
png("tray-error.png", 32, layers(BLUES, badge=(220, 38, 38)))
