"""The sandbox's image generation (Bria's v2 path): 202 with a status address, then, after
`seconds`, an image drawn here. A prompt with "forbidden" in it fails moderation (422);
one with "error" in it ends in ERROR, as Bria's sometimes do."""

from __future__ import annotations

import hashlib
import io
import json
import time
import uuid
from typing import Any

from PIL import Image, ImageDraw

from webapp.rules.models import (
    ASPECT_RATIOS,
    COMPLETED,
    GEN_COMPLETED,
    GEN_ERROR,
    GEN_IN_PROGRESS,
)
from webapp.sandbox.database import SandboxDatabase
from webapp.sandbox.replies import Reply, error, json_object, not_allowed


def draw(prompt: str, aspect_ratio: str) -> bytes:
    """An image for a prompt: a colour from the prompt's words, and the words themselves."""
    wide, high = (int(part) for part in aspect_ratio.split(":")) if ":" in aspect_ratio else (1, 1)
    size = (
        (512, max(128, 512 * high // wide)) if wide >= high else (max(128, 512 * wide // high), 512)
    )
    digest = hashlib.sha256(prompt.encode()).digest()
    picture = Image.new("RGB", size, (digest[0], digest[1], digest[2]))
    pen = ImageDraw.Draw(picture)
    pen.rectangle((16, size[1] - 72, size[0] - 16, size[1] - 16), fill=(255, 255, 255))
    pen.text((28, size[1] - 58), prompt[:60], fill=(0, 0, 0))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


class GenerationEndpoints:
    #: How long a generation takes in the sandbox.
    seconds = 2.0

    def __init__(self, database: SandboxDatabase, models: Any, images: Any) -> None:
        self.database = database
        self.models = models
        self.images = images  # where the sandbox is reached: `images.origin`

    @property
    def origin(self) -> str:
        return self.images.origin

    def generate(self, method: str, raw: Any) -> Reply:
        if method != "POST":
            return not_allowed(method)
        fields = json_object(raw)
        if isinstance(fields, Reply):
            return fields
        model_id, prompt = fields.get("tailored_model_id"), fields.get("prompt")
        if not isinstance(model_id, str) or not model_id.isdigit():
            return error(400, "validation_error", "tailored_model_id is required")
        if not isinstance(prompt, str) or not prompt.strip():
            return error(400, "validation_error", "prompt is required")
        aspect_ratio = fields.get("aspect_ratio") or "1:1"
        if aspect_ratio not in ASPECT_RATIOS:
            return error(400, "validation_error", "aspect_ratio is not one of the supported ratios")
        model = self.models.current(int(model_id))
        if model is None:
            return error(403, "forbidden", "Model does not belong to organization")
        if model["status"] != COMPLETED:
            return error(400, "validation_error", "The model is not trained")
        if "forbidden" in prompt.lower():
            return error(422, "moderation_failed", "The prompt did not pass content moderation")
        request_id = uuid.uuid4().hex
        body = {
            "prompt": prompt,
            "aspect_ratio": aspect_ratio,
            "at": time.time(),
        }
        with self.database.write_lock, self.database.connect() as db:
            db.execute(
                "INSERT INTO generations (id, model_id, body) VALUES (?, ?, ?)",
                (request_id, int(model_id), json.dumps(body)),
            )
        return Reply(
            202, {"request_id": request_id, "status_url": f"{self.origin}/v2/status/{request_id}"}
        )

    def status(self, method: str, request_id: str) -> Reply:
        if method != "GET":
            return not_allowed(method)
        with self.database.connect() as db:
            row = db.execute("SELECT body FROM generations WHERE id = ?", (request_id,)).fetchone()
        if row is None:
            return error(404, "not_found", "No such request")
        body = json.loads(row[0])
        if time.time() < body["at"] + self.seconds:
            return Reply(200, {"request_id": request_id, "status": GEN_IN_PROGRESS})
        if "error" in body["prompt"].lower():
            return Reply(
                200,
                {
                    "request_id": request_id,
                    "status": GEN_ERROR,
                    "error": {"message": "The generation failed"},
                },
            )
        url = f"{self.origin}/files/generated/{request_id}.png"
        return Reply(
            200, {"request_id": request_id, "status": GEN_COMPLETED, "result": {"image_url": url}}
        )

    def picture(self, request_id: str) -> Reply | None:
        with self.database.connect() as db:
            row = db.execute(
                "SELECT body, picture FROM generations WHERE id = ?", (request_id,)
            ).fetchone()
        if row is None:
            return None
        picture = row[1]
        if picture is None:
            body = json.loads(row[0])
            picture = draw(body["prompt"], body["aspect_ratio"])
            with self.database.write_lock, self.database.connect() as db:
                db.execute("UPDATE generations SET picture = ? WHERE id = ?", (picture, request_id))
        return Reply(200, picture, {"Content-Type": "image/png"})
