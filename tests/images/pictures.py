"""Small images made in memory for the tests: every format, size and oddity the checks meet.

Pictures are blocky patterns (a few random squares, enlarged) so that each one looks
different to the near-duplicate hash, encodes small and fast, and is reproducible
from its seed.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

from PIL import Image

#: The colour the sandbox's moderation refuses (as Bria refuses some images).
MAGENTA = (255, 0, 255)


def pattern(seed: int, size: tuple[int, int] = (1024, 1024), mode: str = "RGB") -> Image.Image:
    """A picture of 8 × 8 coloured squares, different for each seed."""
    chooser = random.Random(seed)
    channels = len(mode)
    cells = bytes(chooser.randrange(30, 226) for _ in range(8 * 8 * channels))
    small = Image.frombytes(mode, (8, 8), cells)
    return small.resize(size, Image.Resampling.NEAREST)


def encoded(image: Image.Image, format_: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format_, **options)
    return out.getvalue()


def picture(
    seed: int = 1,
    format_: str = "PNG",
    size: tuple[int, int] = (1024, 1024),
    mode: str = "RGB",
    **options: object,
) -> bytes:
    """An image file of `format_`, `size` pixels, unlike any other seed's."""
    return encoded(pattern(seed, size, mode), format_, **options)


def solid(colour: tuple[int, ...], format_: str = "PNG", size=(1024, 1024)) -> bytes:
    mode = "RGBA" if len(colour) == 4 else "RGB"
    return encoded(Image.new(mode, size, colour), format_)


def near_copy(seed: int, format_: str = "PNG", size=(1024, 1024)) -> bytes:
    """The picture of `seed`, a shade lighter: other bytes, the same look."""
    lighter = pattern(seed, size).point(lambda value: min(255, value + 6))
    return encoded(lighter, format_)


def with_orientation(orientation: int, size=(1200, 1024), format_: str = "JPEG") -> bytes:
    """A picture whose EXIF says how the camera was held (6: turned right, on its side)."""
    image = pattern(7, size)
    exif = image.getexif()
    exif[0x0112] = orientation
    return encoded(image, format_, exif=exif.tobytes())


def palette_with_transparency(size=(1024, 1024)) -> bytes:
    image = pattern(3, size).convert("P")
    return encoded(image, "PNG", transparency=0)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header says `width` × `height` pixels, with almost no pixels in it: a
    decompression bomb (decoding it would take width × height × 3 bytes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" + b"\x00" * 3 * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def heic(brand: bytes = b"heic") -> bytes:
    """The start of a HEIC photo as an iPhone saves it (an ISO media file, `ftyp` box)."""
    box = b"ftyp" + brand + b"\x00\x00\x00\x00" + b"mif1" + brand
    return struct.pack(">I", len(box) + 4) + box + b"\x00" * 200


def zipped(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names or ("photo.jpg",):
            archive.writestr(name, picture(1, "JPEG"))
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = b"Not an image at all, only words in a file named like one.\n"


def cut(content: bytes, keep: float = 0.6) -> bytes:
    """The file as a broken transfer leaves it: its first part only."""
    return content[: int(len(content) * keep)]
