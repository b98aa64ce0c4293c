"""Every file checked on the server before anything is sent, by its content, not its name.

Cheap on purpose (a request waits on it, for up to 200 files): Pillow reads only a
file's header for its format and size, so a file declaring 30,000 × 30,000 pixels is
refused before anything is decoded; truncation is found from the file's own structure
(a JPEG's end marker, a PNG's chunks, a WebP's declared length); the file is hashed as
it is read. Decoding (thumbnails, the near-duplicate hash, turning a photo the right
way up) happens later, in jobs.

A refusal says what is wrong and what to do, in words; a file that is kept may carry
notes (Bria will upscale it; transparent areas become black).
"""

from __future__ import annotations

import hashlib
import struct
import warnings
from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from webapp.rules.images import (
    FORMATS,
    MAX_FILE_BYTES,
    MAX_PIXELS,
    MIN_SIDE,
    RECOMMENDED_SIDE,
)

#: The formats Pillow may take a file for: Bria's three, and the common others, to name
#: them in a refusal. Pillow's rarer readers are never run on what people upload.
RECOGNISED = ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"]
#: EXIF orientations that turn the picture on its side (width and height swap).
_SIDEWAYS = (5, 6, 7, 8)
#: ISO base media brands of HEIC/HEIF photos (as iPhones save them).
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
CUT_SHORT = "The file is cut short (part of it is missing): copy or export it again."
HEIC_WORDS = (
    "This is a HEIC photo, as iPhones save them, and Bria takes JPEG, PNG or WebP: convert it "
    "to JPEG, then add it again (on an iPhone, Settings › Camera › Formats › Most Compatible "
    "saves JPEG from now on; on a Mac, open it in Preview and export it as JPEG)."
)


def megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


@dataclass(frozen=True)
class Checked:
    """A file that may go to Bria, and what the checks found in it."""

    size: int
    sha256: str
    format: str
    width: int
    height: int
    orientation: int
    transparent: bool
    notes: list[str] = field(default_factory=list)


class Refused(Exception):
    """The file cannot go to Bria: why, and what to do, in words."""


def check(stream: BinaryIO, size: int, increase_resolution: bool) -> Checked:
    """Check one file (its stream at the start); raises `Refused` with the reason."""
    if size == 0:
        raise Refused("The file is empty: choose the image again.")
    if size > MAX_FILE_BYTES:
        raise Refused(
            f"It is {megabytes(size)}, and the most Bria takes is "
            f"{MAX_FILE_BYTES // 2**20} MB: save a smaller copy (a JPEG at high quality is "
            "usually far smaller) and add that."
        )
    head = stream.read(64)
    stream.seek(0)
    _refuse_known_non_images(head)
    _refuse_cut_webp(head, size)
    image = _open(stream)
    try:
        format_ = image.format or ""
        if format_ not in FORMATS:
            raise Refused(
                f"It is a {format_ or 'kind of'} image, and Bria takes JPEG, PNG or WebP: save it "
                "as one of those, then add it again."
            )
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise Refused(
                f"It says it is {width:,} × {height:,} pixels ({width * height / 1e6:,.0f} "
                "megapixels), far more than any photo: it is not added. Save a copy of a "
                "usual size."
            )
        orientation = _orientation(image)
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    finally:
        image.close()
    stream.seek(0)
    _refuse_truncated(stream, format_, size)
    if orientation in _SIDEWAYS:
        width, height = height, width
    notes = _size_notes(width, height, increase_resolution)
    if transparent:
        notes.append("It has transparent areas, which become black at Bria.")
    if orientation not in (1, 0):
        notes.append("It will be turned the right way up, as the camera recorded it.")
    stream.seek(0)
    return Checked(size, _sha256(stream), format_, width, height, orientation, transparent, notes)


def _refuse_known_non_images(head: bytes) -> None:
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        raise Refused(HEIC_WORDS)
    if head.startswith(b"PK\x03\x04"):
        raise Refused("This is a zip file: unzip it, then add the images inside it.")
    if head.startswith(b"%PDF"):
        raise Refused("This is a PDF document, not an image: export its pages as JPEG or PNG.")


def _refuse_cut_webp(head: bytes, size: int) -> None:
    """A WebP (a RIFF file) says its own length in its first bytes: one cut short is said
    so here, since Pillow cannot even open it to read its header."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and len(head) >= 12:
        declared = struct.unpack("<I", head[4:8])[0] + 8
        if declared > size:
            raise Refused(CUT_SHORT)


class _Borrowed:
    """The stream, lent to Pillow: closing the image leaves the file open for the rest."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def readline(self, size: int = -1) -> bytes:
        return self._stream.readline(size)

    def close(self) -> None:
        return None


def _open(stream: BinaryIO) -> Image.Image:
    """The image's header; `Refused` for anything Pillow cannot read as an image, and for
    one whose size alone is a decompression bomb."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(_Borrowed(stream), formats=RECOGNISED)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(
            "It says it is far larger than any photo (a decompression bomb): it is not added."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
        raise Refused(
            "This file is not an image the app can read, whatever its name says: choose a "
            "JPEG, PNG or WebP image."
        ) from None


def _orientation(image: Image.Image) -> int:
    if image.format == "PNG" and "exif" not in image.info:
        # Pillow would decode every pixel looking for an EXIF block after them; a PNG's
        # orientation, when it has one, comes before its pixels.
        return 1
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a damaged EXIF block: the picture itself may be fine
        return 1
    return value if isinstance(value, int) and 0 <= value <= 8 else 1


def _refuse_truncated(stream: BinaryIO, format_: str, size: int) -> None:
    """A file cut short in a transfer: its own structure says it is incomplete."""
    if format_ == "JPEG":
        complete = _jpeg_complete(stream)
    elif format_ == "PNG":
        complete = _png_complete(stream)
    else:  # WebP: a RIFF file says its own length
        stream.seek(4)
        declared = struct.unpack("<I", stream.read(4))[0] + 8
        complete = declared <= size
    if not complete:
        raise Refused(CUT_SHORT)


#: JPEG markers that stand alone, without a length after them (TEM, RST0 to RST7).
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_JPEG_END, _JPEG_SCAN = b"\xff\xd9", 0xDA


def _jpeg_complete(stream: BinaryIO) -> bool:
    """Whole when its end marker follows the start of its first scan. The segments before
    it are stepped over by their lengths (the camera's EXIF preview is a little JPEG with
    an end marker of its own); inside the scans the bytes FF D9 can only be the end (coded
    data escapes FF), and anything after the end (a phone's motion-photo video, a maker's
    trailer) does not matter."""
    position = 2
    while True:
        stream.seek(position)
        marker = stream.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return False
        if marker[1] == 0xFF:  # a fill byte before the marker
            position += 1
            continue
        if marker[1] == _JPEG_END[1]:
            return True
        if marker[1] in _JPEG_STANDALONE:
            position += 2
            continue
        length = stream.read(2)
        if len(length) < 2:
            return False
        position += 2 + struct.unpack(">H", length)[0]
        if marker[1] == _JPEG_SCAN:
            break
    stream.seek(position)
    last = b""
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        if _JPEG_END in last + chunk[:1] or _JPEG_END in chunk:
            return True
        last = chunk[-1:]
    return False


def _png_complete(stream: BinaryIO) -> bool:
    try:
        with Image.open(_Borrowed(stream), formats=["PNG"]) as image:
            image.verify()  # every chunk's checksum, up to the end marker
    except Exception:
        return False
    return True


def _size_notes(width: int, height: int, increase_resolution: bool) -> list[str]:
    shorter = min(width, height)
    if shorter < MIN_SIDE:
        raise Refused(
            f"It is {width} × {height} pixels, and Bria needs at least {MIN_SIDE} on the shorter "
            f"side: use a larger copy ({RECOMMENDED_SIDE} or more is best)."
        )
    if shorter < RECOMMENDED_SIDE:
        if not increase_resolution:
            raise Refused(
                f"It is {width} × {height} pixels, under the {RECOMMENDED_SIDE} Bria needs when "
                "upscaling is turned off: use a larger copy, or let Bria upscale small images."
            )
        return [
            f"It is {width} × {height} pixels: Bria will upscale it ({RECOMMENDED_SIDE} or more "
            "on the shorter side is best)."
        ]
    return []


def _sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()
