"""What the sandbox sees in an image: enough to answer as Bria would, made up from simple
statistics (size, shape, average colour, brightness) instead of a model.

Reproducible refusals for tests and for trying the app: an image whose average colour
is close to pure magenta fails "content moderation" (422), as Bria refuses some images.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from PIL import Image, ImageStat, UnidentifiedImageError

from webapp.rules.images import FORMATS, MIN_SIDE, RECOMMENDED_SIDE

#: Named colours the sandbox describes images with.
COLOURS = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "grey": (128, 128, 128),
    "red": (200, 30, 30),
    "orange": (240, 140, 20),
    "yellow": (240, 220, 40),
    "green": (40, 160, 60),
    "teal": (20, 150, 150),
    "blue": (40, 80, 200),
    "purple": (120, 50, 160),
    "pink": (240, 140, 180),
    "brown": (120, 80, 40),
    "magenta": (255, 0, 255),
}
SMALL_SIDE = 256
#: The parts of a visual schema the sandbox makes.
SCHEMA_KEYS = ("style", "palette", "lighting", "composition", "subject")


@dataclass(frozen=True)
class Look:
    format: str
    width: int
    height: int
    colour: str
    brightness: float
    transparent: bool
    small: bytes

    @property
    def shape(self) -> str:
        if abs(self.width - self.height) <= min(self.width, self.height) * 0.05:
            return "square"
        return "landscape" if self.width > self.height else "portrait"

    @property
    def light(self) -> str:
        return "bright" if self.brightness > 160 else "dark" if self.brightness < 80 else "even"


class Refusal(Exception):
    """What Bria would answer instead of taking the image: a status and its reason."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def look_at(content: bytes, increase_resolution: bool = True) -> Look:
    """Read an image as Bria would, or raise the `Refusal` it would answer."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            format_ = image.format or ""
            if format_ not in FORMATS:
                raise Refusal(415, "unsupported_media_type", "Unsupported image format")
            transparent = image.mode in ("RGBA", "LA") or "transparency" in image.info
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Refusal(415, "unsupported_media_type", "The file is not an image") from None
    width, height = rgb.size
    if min(width, height) < MIN_SIDE:
        raise Refusal(
            412, "resolution_too_low", f"Image resolution too low: at least {MIN_SIDE}x{MIN_SIDE}"
        )
    if min(width, height) < RECOMMENDED_SIDE and not increase_resolution:
        raise Refusal(
            412,
            "resolution_too_low",
            f"Image resolution too low: at least {RECOMMENDED_SIDE}x{RECOMMENDED_SIDE} when "
            "increase_resolution is false",
        )
    mean = ImageStat.Stat(rgb.resize((32, 32))).mean
    colour = nearest_colour(mean)
    if colour == "magenta":
        raise Refusal(422, "moderation_failed", "The image did not pass content moderation")
    rgb.thumbnail((SMALL_SIDE, SMALL_SIDE))
    small = io.BytesIO()
    rgb.save(small, "JPEG", quality=80)
    brightness = sum(mean) / 3
    return Look(format_, width, height, colour, brightness, transparent, small.getvalue())


def nearest_colour(mean: list[float]) -> str:
    def distance(name: str) -> float:
        return sum((a - b) ** 2 for a, b in zip(COLOURS[name], mean, strict=True))

    return min(COLOURS, key=distance)


def schema_from(looks: list[Look]) -> str:
    """A visual schema: what the images share, one part per key."""
    colours = sorted({look.colour for look in looks})
    shapes = sorted({look.shape for look in looks})
    lights = sorted({look.light for look in looks})
    return json.dumps(
        {
            "style": "consistent illustrated look" if len(colours) <= 3 else "varied look",
            "palette": ", ".join(colours),
            "lighting": ", ".join(lights) + " light",
            "composition": ", ".join(shapes) + " frames",
            "subject": "the same subject in different situations",
        }
    )


def caption_for(look: Look, keys: list[str]) -> str:
    """A caption in the visual schema's parts, from what this image shows."""
    said = {
        "style": f"{look.colour} toned",
        "palette": f"mostly {look.colour}",
        "lighting": f"{look.light} light",
        "composition": f"{look.shape} frame, {look.width} by {look.height} pixels",
        "subject": "the subject, as in the rest of the dataset",
    }
    return json.dumps({key: said.get(key, f"{look.colour} {key}") for key in keys})
