"""What the app makes from an image in its jobs: a thumbnail, a perceptual hash to find
near-duplicates, and a copy turned the right way up before it goes to Bria.

JPEGs are decoded at a reduced size for thumbnails and hashes (Pillow's `draft`), so a
15 MB photo costs a fraction of its full decode. The near-duplicate hash is a
difference hash (dHash): 64 bits from a 9 × 8 greyscale copy, each saying whether a
pixel is brighter than its neighbour. Pictures that look alike differ in few bits,
whatever their size or compression. It is ten lines with Pillow, where the imagehash
library would bring NumPy, SciPy and PyWavelets for the same answer.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from webapp.rules.images import THUMBNAIL_SIDE

_READABLE = ["JPEG", "PNG", "WEBP"]


def thumbnail(content: bytes) -> tuple[bytes, str]:
    """A JPEG thumbnail, the right way up, and the picture's difference hash."""
    with Image.open(io.BytesIO(content), formats=_READABLE) as image:
        image.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))
        upright = ImageOps.exif_transpose(image)
        if upright.mode in ("RGBA", "LA", "PA", "P"):
            upright = upright.convert("RGBA")
            backdrop = Image.new("RGBA", upright.size, (255, 255, 255, 255))
            upright = Image.alpha_composite(backdrop, upright)
        picture = upright.convert("RGB")
    hashed = dhash(picture)
    picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=82)
    return out.getvalue(), hashed


def dhash(picture: Image.Image) -> str:
    small = picture.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()  # one byte a pixel, row by row (getdata is deprecated)
    bits = 0
    for row in range(8):
        for column in range(8):
            left, right = pixels[row * 9 + column], pixels[row * 9 + column + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return f"{bits:016x}"


def differing_bits(first: str, second: str) -> int:
    return (int(first, 16) ^ int(second, 16)).bit_count()


def upright(content: bytes, orientation: int) -> bytes:
    """The file as Bria should get it: turned as its EXIF orientation says (Bria may not
    read EXIF), in its own format; unchanged when it needs no turning."""
    if orientation in (0, 1):
        return content
    with Image.open(io.BytesIO(content), formats=_READABLE) as image:
        format_ = image.format or "JPEG"
        turned = ImageOps.exif_transpose(image)
        out = io.BytesIO()
        options = {"quality": 95} if format_ in ("JPEG", "WEBP") else {}
        icc = image.info.get("icc_profile")
        if icc:
            options["icc_profile"] = icc
        turned.save(out, format_, **options)
    return out.getvalue()
