"""The sandbox's images: uploaded as base64 JSON or a multipart file, checked as Bria
checks them (format, size, count, a completed dataset, moderation), captioned from the
dataset's visual schema, and served back at addresses of the sandbox's own."""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from typing import Any

from werkzeug.formparser import parse_form_data

from webapp.rules.datasets import DRAFT, schema_keys
from webapp.rules.images import MAX_IMAGES_PER_DATASET
from webapp.sandbox.database import SandboxDatabase
from webapp.sandbox.pictures import Look, Refusal, caption_for, look_at
from webapp.sandbox.replies import Reply, error, json_object, not_allowed, timestamp

FILES_PATH = "/files/images/"
_FILE = re.compile(r"/files/images/(\d+)\.jpg$")


class ImageStore:
    def __init__(self, database: SandboxDatabase, origin: str) -> None:
        self.database = database
        self.origin = origin.rstrip("/")

    def add(self, dataset_id: int, body: dict[str, Any], picture: bytes) -> dict[str, Any]:
        with self.database.write_lock, self.database.connect() as db:
            cursor = db.execute(
                "INSERT INTO images (dataset_id, body, picture) VALUES (?, ?, ?)",
                (dataset_id, json.dumps(body), picture),
            )
            image_id = cursor.lastrowid
            url = f"{self.origin}{FILES_PATH}{image_id}.jpg"
            body = {**body, "image_url": url, "thumbnail_url": url}
            db.execute("UPDATE images SET body = ? WHERE id = ?", (json.dumps(body), image_id))
        return {"id": image_id, **body}

    def of_dataset(self, dataset_id: int) -> list[dict[str, Any]]:
        with self.database.connect() as db:
            rows = db.execute(
                "SELECT id, body FROM images WHERE dataset_id = ? ORDER BY id", (dataset_id,)
            ).fetchall()
        return [{"id": row[0], **json.loads(row[1])} for row in rows]

    def count(self, dataset_id: int) -> int:
        with self.database.connect() as db:
            return db.execute(
                "SELECT COUNT(*) FROM images WHERE dataset_id = ?", (dataset_id,)
            ).fetchone()[0]

    def get(self, image_id: int) -> dict[str, Any] | None:
        with self.database.connect() as db:
            row = db.execute("SELECT id, body FROM images WHERE id = ?", (image_id,)).fetchone()
        return {"id": row[0], **json.loads(row[1])} if row else None

    def picture(self, image_id: int) -> bytes | None:
        with self.database.connect() as db:
            row = db.execute("SELECT picture FROM images WHERE id = ?", (image_id,)).fetchone()
        return row[0] if row else None

    def update(self, image_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
        with self.database.write_lock, self.database.connect() as db:
            row = db.execute("SELECT body FROM images WHERE id = ?", (image_id,)).fetchone()
            if row is None:
                return None
            body = {**json.loads(row[0]), **changes, "updated_at": timestamp()}
            db.execute("UPDATE images SET body = ? WHERE id = ?", (json.dumps(body), image_id))
        return {"id": image_id, **body}

    def delete(self, image_id: int) -> bool:
        with self.database.write_lock, self.database.connect() as db:
            return db.execute("DELETE FROM images WHERE id = ?", (image_id,)).rowcount == 1

    def copy_all(self, from_dataset: int, to_dataset: int) -> None:
        for image in self.of_dataset(from_dataset):
            body = {k: v for k, v in image.items() if k not in ("id", "image_url", "thumbnail_url")}
            self.add(
                to_dataset, {**body, "dataset_id": to_dataset}, self.picture(image["id"]) or b""
            )

    @staticmethod
    def look(image: dict[str, Any]) -> Look:
        return Look(**{**image["_look"], "small": b""})


def picture_from(value: Any, images: ImageStore) -> bytes | None:
    """An image given to the API: base64, or an address of one of the sandbox's images."""
    if not isinstance(value, str):
        return None
    found = _FILE.search(value)
    if value.startswith(("http://", "https://")):
        if not value.startswith(images.origin) or found is None:
            return None  # the sandbox reaches nothing else
        return images.picture(int(found.group(1)))
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def serve_file(path: str, images: ImageStore) -> Reply | None:
    """`GET /files/images/<id>.jpg`: an image's small copy, as Bria's addresses serve one."""
    found = _FILE.search(path)
    if not path.startswith(FILES_PATH) or found is None:
        return None
    picture = images.picture(int(found.group(1)))
    if picture is None:
        return error(404, "not_found", "No such file")
    return Reply(200, picture, {"Content-Type": "image/jpeg"})


class ImageEndpoints:
    """`/tailored-gen/datasets/{id}/images` and `…/images/{image_id}`."""

    def __init__(self, datasets: Any, images: ImageStore) -> None:
        self.datasets = datasets
        self.images = images

    def handle(
        self, method: str, dataset: dict[str, Any], rest: list[str], body: Any, content_type: str
    ) -> Reply:
        if not rest:
            if method == "GET":
                return Reply(200, [self.shown(i) for i in self.images.of_dataset(dataset["id"])])
            if method == "POST":
                return self._upload(dataset, body, content_type)
            return not_allowed(method)
        image = self.images.get(int(rest[0])) if rest[0].isdigit() and len(rest) == 1 else None
        if image is None or image.get("dataset_id") != dataset["id"]:
            return error(404, "not_found", "Image not found")
        if method == "GET":
            return Reply(200, self.shown(image))
        if dataset["status"] != DRAFT and method in ("PUT", "DELETE"):
            return error(409, "conflict", "Cannot change images of a completed dataset")
        if method == "PUT":
            return self._caption(dataset, image, body)
        if method == "DELETE":
            self.images.delete(image["id"])
            return Reply(204)
        return not_allowed(method)

    def _upload(self, dataset: dict[str, Any], raw: Any, content_type: str) -> Reply:
        fields = _upload_fields(raw, content_type)
        if isinstance(fields, Reply):
            return fields
        if dataset["status"] != DRAFT:
            return error(409, "conflict", "Cannot upload images to a completed dataset")
        if self.images.count(dataset["id"]) >= MAX_IMAGES_PER_DATASET:
            return error(
                409, "conflict", f"The dataset already has {MAX_IMAGES_PER_DATASET} images"
            )
        content = fields.get("file")
        if content is None and "image_url" in fields:
            content = picture_from(fields["image_url"], self.images)
            if content is None:
                return error(422, "unprocessable", "The image URL could not be reached")
        if not isinstance(content, bytes) or not content:
            return error(400, "validation_error", "file or image_url is required")
        increase = fields.get("increase_resolution", True) not in (False, "false", "0")
        try:
            look = look_at(content, increase_resolution=increase)
        except Refusal as refusal:
            return error(refusal.status, refusal.code, refusal.message)
        keys = schema_keys(dataset.get("visual_schema"))
        now = timestamp()
        record = {
            "dataset_id": dataset["id"],
            "image_name": str(fields.get("image_name") or f"image-{now}"),
            "caption": caption_for(look, keys) if keys else None,
            "caption_source": "automatic" if keys else None,
            "upload_source_url": fields.get("image_url"),
            "created_at": now,
            "updated_at": now,
            "_look": {k: v for k, v in vars(look).items() if k != "small"},
        }
        return Reply(201, self.shown(self.images.add(dataset["id"], record, look.small)))

    def _caption(self, dataset: dict[str, Any], image: dict[str, Any], raw: Any) -> Reply:
        fields = json_object(raw)
        if isinstance(fields, Reply):
            return fields
        if "caption" in fields and fields.get("regenerate_caption"):
            return error(400, "validation_error", "Give a caption or regenerate_caption, not both")
        if fields.get("regenerate_caption") is True:
            keys = schema_keys(dataset.get("visual_schema")) or ["subject"]
            caption = caption_for(self.images.look(image), keys)
            changed = self.images.update(
                image["id"], {"caption": caption, "caption_source": "automatic"}
            )
            return Reply(200, self.shown(changed or image))
        caption = fields.get("caption")
        if not isinstance(caption, str):
            return error(400, "validation_error", "caption or regenerate_caption is required")
        try:
            json.loads(caption)
        except ValueError:
            return error(400, "validation_error", "caption must be a string holding valid JSON")
        changed = self.images.update(image["id"], {"caption": caption, "caption_source": "manual"})
        return Reply(200, self.shown(changed or image))

    @staticmethod
    def shown(image: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in image.items() if not key.startswith("_")}


def _upload_fields(raw: Any, content_type: str) -> dict[str, Any] | Reply:
    """The upload's fields, from a JSON body (the file in base64) or a multipart form."""
    if content_type.startswith("multipart/form-data"):
        data = raw if isinstance(raw, bytes) else (raw or "").encode()
        environ = {
            "wsgi.input": io.BytesIO(data),
            "CONTENT_LENGTH": str(len(data)),
            "CONTENT_TYPE": content_type,
            "REQUEST_METHOD": "POST",
        }
        _, form, files = parse_form_data(environ)
        fields: dict[str, Any] = dict(form.items())
        try:
            if "file" in files:
                fields["file"] = files["file"].read()
        finally:
            for storage in files.values():
                storage.close()
        return fields
    fields = json_object(raw)
    if isinstance(fields, Reply):
        return fields
    if "file" in fields:
        try:
            fields["file"] = base64.b64decode(str(fields["file"]), validate=True)
        except (binascii.Error, ValueError):
            return error(400, "validation_error", "file must be base64")
    return fields
