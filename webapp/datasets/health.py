"""A dataset's health report, in plain words, before it is completed. Nothing in it
blocks: it tells what people otherwise learn only after paying for a training."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from webapp.catalog.images import ImageRecords
from webapp.images.pictures import differing_bits
from webapp.images.queue import AT_BRIA, FAILED, ON_THE_WAY, REFUSED
from webapp.images.service import Entry, entries
from webapp.rules.datasets import CAPTIONS_IN_PROGRESS
from webapp.rules.images import (
    MAX_IMAGES_PER_DATASET,
    MIN_IMAGES_TO_COMPLETE,
    NEAR_DUPLICATE_BITS,
    ODD_ASPECT_FACTOR,
    RECOMMENDED_IMAGES,
)

if TYPE_CHECKING:
    from webapp.services import Services


@dataclass
class Health:
    at_bria: int
    on_the_way: list[Entry] = field(default_factory=list)
    refused: list[Entry] = field(default_factory=list)
    failed: list[Entry] = field(default_factory=list)
    upscaled: list[Entry] = field(default_factory=list)
    transparent: list[Entry] = field(default_factory=list)
    alike: list[list[Entry]] = field(default_factory=list)
    odd_shapes: list[Entry] = field(default_factory=list)
    captions_missing: list[Entry] = field(default_factory=list)
    captions_being_written: bool = False

    @property
    def count_in_words(self) -> str:
        low, high = RECOMMENDED_IMAGES
        n = self.at_bria
        images = f"{n} image{'s' if n != 1 else ''} at Bria"
        if n < MIN_IMAGES_TO_COMPLETE:
            return f"{images}: at least {MIN_IMAGES_TO_COMPLETE} are needed to complete it."
        if n <= high:
            return f"{images}: within the {low} to {high} Bria recommends."
        return (
            f"{images}: more than the {low} to {high} Bria recommends (at most "
            f"{MAX_IMAGES_PER_DATASET}). More images train for longer; they help only when they "
            "add variety."
        )

    def summary(self) -> list[str]:
        """One sentence per finding, the count first; empty findings are left out."""
        said = [self.count_in_words]
        if self.on_the_way:
            said.append(f"{len(self.on_the_way)} still on the way to Bria.")
        if self.upscaled:
            said.append(f"{len(self.upscaled)} will be upscaled by Bria (under 1024 pixels).")
        if self.transparent:
            said.append(f"{_has(self.transparent)} transparent areas, which become black.")
        if self.alike:
            one = len(self.alike) == 1
            groups = f"{len(self.alike)} group{'' if one else 's'}"
            said.append(f"{groups} of images {'looks' if one else 'look'} almost the same.")
        if self.odd_shapes:
            said.append(f"{_has(self.odd_shapes)} a shape far from the rest.")
        if self.captions_being_written:
            said.append("Bria is writing the captions now.")
        elif self.captions_missing:
            said.append(f"{_has(self.captions_missing)} no caption yet.")
        if self.refused:
            said.append(f"Bria refused {len(self.refused)}.")
        if self.failed:
            said.append(f"{len(self.failed)} could not be sent: retry or remove them.")
        return said


def _has(entries: list[Entry]) -> str:
    """'1 has', '3 have'."""
    return f"{len(entries)} {'has' if len(entries) == 1 else 'have'}"


def health_of(svc: Services, dataset: dict[str, Any]) -> Health:
    """The report on a dataset as its page shows it (images at Bria and on the way)."""
    pictures = svc.get(ImageRecords).of_dataset(int(dataset["id"]))[0]
    listed = entries(svc, int(dataset["id"]), pictures)
    return report(listed, dataset.get("captions_update_status"))


def report(entries: list[Entry], captions_status: str | None) -> Health:
    at_bria = [e for e in entries if e.state == AT_BRIA]
    health = Health(at_bria=len(at_bria))
    health.on_the_way = [e for e in entries if e.state in ON_THE_WAY]
    health.refused = [e for e in entries if e.state == REFUSED]
    health.failed = [e for e in entries if e.state == FAILED]
    live = at_bria + health.on_the_way
    health.upscaled = [e for e in live if e.upload is not None and e.upload.upscaled]
    health.transparent = [e for e in live if e.upload is not None and e.upload.transparent]
    health.alike = _groups(live)
    health.odd_shapes = _odd_shapes(live)
    health.captions_being_written = captions_status == CAPTIONS_IN_PROGRESS
    health.captions_missing = [e for e in at_bria if e.caption is None]
    return health


def _groups(live: list[Entry]) -> list[list[Entry]]:
    """Images that look alike, each group once (an image alike to one alike to it joins).
    By their pictures' hashes, not their names: two cameras both name a photo IMG_0001."""
    hashed = [
        (index, entry.upload.dhash)
        for index, entry in enumerate(live)
        if entry.upload is not None and entry.upload.dhash
    ]
    groups: list[set[int]] = []
    for position, (index, mine) in enumerate(hashed):
        members = {index} | {
            other
            for other, theirs in hashed[position + 1 :]
            if differing_bits(mine, theirs) <= NEAR_DUPLICATE_BITS
        }
        touching = [group for group in groups if group & members]
        for group in touching:
            members |= group
            groups.remove(group)
        groups.append(members)
    return [
        sorted((live[index] for index in group), key=lambda entry: entry.name)
        for group in groups
        if len(group) > 1
    ]


def _odd_shapes(live: list[Entry]) -> list[Entry]:
    shaped = [e for e in live if e.upload is not None and e.upload.height]
    if len(shaped) < 3:
        return []
    usual = statistics.median(e.upload.width / e.upload.height for e in shaped if e.upload)
    odd = []
    for entry in shaped:
        assert entry.upload is not None
        ratio = (entry.upload.width / entry.upload.height) / usual
        if ratio > ODD_ASPECT_FACTOR or ratio < 1 / ODD_ASPECT_FACTOR:
            odd.append(entry)
    return odd
