"""Bria's image endpoints: upload one image, list, read, caption and delete.

An image goes as base64 in a JSON body, as the API's examples send it; the same
transport sends it as a multipart file (`as_multipart=True`) should Bria take only
that. Either way the call's deadline grows with the body.
"""

from __future__ import annotations

import base64
from typing import Any

from webapp.bria.projects import well_formed_id
from webapp.bria.transport import Transport
from webapp.bria.transport.bodies import Answer

Image = dict[str, Any]
TEXT_FIELDS = ("image_name", "caption", "caption_source", "image_url", "thumbnail_url")


def well_formed_image(data: object) -> bool:
    if not isinstance(data, dict) or not well_formed_id(data.get("id")):
        return False
    return all(data.get(name) is None or isinstance(data.get(name), str) for name in TEXT_FIELDS)


def _path(dataset_id: int, image_id: int | None = None) -> str:
    path = f"/tailored-gen/datasets/{int(dataset_id)}/images"
    return path if image_id is None else f"{path}/{int(image_id)}"


class Images:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def upload(
        self,
        dataset_id: int,
        content: bytes,
        image_name: str,
        increase_resolution: bool = True,
        as_multipart: bool = False,
    ) -> Image:
        """Add one image to a draft dataset; 409 (completed, or 200 reached), 412 (too
        small), 415 (format) and 422 (moderation) are refusals with Bria's reason."""
        if as_multipart:
            fields = {
                "image_name": image_name,
                "increase_resolution": str(increase_resolution).lower(),
            }
            answer = self.transport.call(
                "POST", _path(dataset_id), files={"file": (image_name, content)}, data=fields
            )
        else:
            body = {
                "file": base64.b64encode(content).decode("ascii"),
                "image_name": image_name,
                "increase_resolution": increase_resolution,
            }
            answer = self.transport.call("POST", _path(dataset_id), json=body)
        return self._image(answer)

    def of_dataset(self, dataset_id: int) -> list[Image]:
        answer = self.transport.call("GET", _path(dataset_id))
        data = self.transport.json_of(answer)
        if not isinstance(data, list):
            raise self.transport.unreadable(answer, "The API's list of images is not a list")
        return [entry for entry in data if well_formed_image(entry)]

    def get(self, dataset_id: int, image_id: int) -> Image:
        return self._image(self.transport.call("GET", _path(dataset_id, image_id)))

    def set_caption(self, dataset_id: int, image_id: int, caption: str) -> Image:
        """A caption written by a person (a string holding a JSON object)."""
        path = _path(dataset_id, image_id)
        return self._image(self.transport.call("PUT", path, json={"caption": caption}))

    def regenerate_caption(self, dataset_id: int, image_id: int) -> Image:
        path = _path(dataset_id, image_id)
        return self._image(self.transport.call("PUT", path, json={"regenerate_caption": True}))

    def delete(self, dataset_id: int, image_id: int) -> None:
        self.transport.call("DELETE", _path(dataset_id, image_id))

    def _image(self, answer: Answer) -> Image:
        data = self.transport.json_of(answer)
        if not well_formed_image(data):
            raise self.transport.unreadable(answer, "The API's answer has no readable image in it")
        return data
