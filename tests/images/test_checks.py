"""Every check a file meets on the server before anything is sent (`webapp.images.checks`):
each refusal in its words, each note, and that nothing is decoded to find them."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from tests.images import pictures
from webapp.images import checks
from webapp.images.checks import HEIC_WORDS, Refused, check
from webapp.rules.images import MAX_FILE_BYTES

NOT_AN_IMAGE = (
    "This file is not an image the app can read, whatever its name says: choose a JPEG, "
    "PNG or WebP image."
)
CUT_SHORT = "The file is cut short (part of it is missing): copy or export it again."
TRANSPARENT = "It has transparent areas, which become black at Bria."
TURNED = "It will be turned the right way up, as the camera recorded it."
BOMB = "It says it is far larger than any photo (a decompression bomb): it is not added."


def checked(content: bytes, increase_resolution: bool = True) -> checks.Checked:
    return check(io.BytesIO(content), len(content), increase_resolution)


def refusal(content: bytes, increase_resolution: bool = True) -> str:
    with pytest.raises(Refused) as refused:
        checked(content, increase_resolution)
    return str(refused.value)


@pytest.fixture
def no_decoding(monkeypatch):
    """Any decode of pixels fails the test: the checks read headers and structure only.
    (Recorded rather than raised, since the checks catch what Pillow raises.)"""
    decoded: list[str] = []
    original = ImageFile.ImageFile.load

    def load(self, *args, **kwargs):
        decoded.append(str(self.format))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    yield
    assert decoded == [], f"the checks decoded {decoded}"


class Unreadable(io.RawIOBase):
    """A stream that must not be read (the size alone refuses it)."""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the file was read")

    def seek(self, offset: int, whence: int = 0) -> int:
        raise AssertionError("the file was read")


# -- what is kept, and what the checks found in it ----------------------------------


@pytest.mark.parametrize("format_", ["JPEG", "PNG", "WEBP"])
def test_a_good_image_of_each_format_is_kept_with_what_it_is(format_, no_decoding):
    content = pictures.picture(5, format_, size=(1280, 1024))
    found = checked(content)
    assert found == checks.Checked(
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        format=format_,
        width=1280,
        height=1024,
        orientation=1,
        transparent=False,
        notes=[],
    )


def test_the_format_comes_from_the_bytes_not_the_name():
    # A PNG called .jpg by the person's computer is a PNG; a text called .png is refused
    # (names never reach the checks at all: only the content does).
    assert checked(pictures.picture(1, "PNG")).format == "PNG"
    assert refusal(pictures.TEXT) == NOT_AN_IMAGE


# -- refusals ------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    assert refusal(b"") == "The file is empty: choose the image again."


def test_a_file_over_25_mb_is_refused_from_its_size_without_being_read():
    size = 60 * 2**20
    with pytest.raises(Refused) as refused:
        check(Unreadable(), size, True)
    assert str(refused.value) == (
        "It is 60.0 MB, and the most Bria takes is 25 MB: save a smaller copy (a JPEG at high "
        "quality is usually far smaller) and add that."
    )


def test_a_file_of_exactly_25_mb_is_not_refused_for_its_size(tmp_path: Path):
    sparse = tmp_path / "sparse.png"
    with sparse.open("wb") as file:
        file.truncate(MAX_FILE_BYTES)  # a hole: no 25 MB written or held in memory
    with sparse.open("rb") as file, pytest.raises(Refused) as refused:
        check(file, MAX_FILE_BYTES, True)
    assert str(refused.value) == NOT_AN_IMAGE  # refused for what it is, not for its size


def test_one_byte_over_25_mb_is_refused(tmp_path: Path):
    sparse = tmp_path / "sparse.jpg"
    with sparse.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)
    with sparse.open("rb") as file, pytest.raises(Refused) as refused:
        check(file, MAX_FILE_BYTES + 1, True)
    assert str(refused.value).startswith("It is 25.0 MB, and the most Bria takes is 25 MB")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (pictures.picture(1, "GIF", size=(1024, 1024)), "GIF"),
        (pictures.picture(1, "BMP", size=(1024, 1024)), "BMP"),
        (pictures.picture(1, "TIFF", size=(1024, 1024)), "TIFF"),
    ],
    ids=["gif", "bmp", "tiff"],
)
def test_other_image_formats_are_named_and_refused(content, words):
    assert refusal(content) == (
        f"It is a {words} image, and Bria takes JPEG, PNG or WebP: save it as one of those, "
        "then add it again."
    )


@pytest.mark.parametrize("brand", [b"heic", b"heix", b"mif1", b"hevc"])
def test_a_heic_photo_is_refused_by_its_ftyp_brand_with_how_to_convert_it(brand):
    words = refusal(pictures.heic(brand))
    assert words == HEIC_WORDS
    assert "convert it to JPEG" in words


def test_an_iso_media_file_of_another_brand_is_not_taken_for_heic():
    video = pictures.heic(b"isom")  # an MP4 starts the same way
    assert refusal(video) == NOT_AN_IMAGE


def test_a_zip_is_refused_with_what_to_do():
    assert refusal(pictures.zipped("a.jpg", "b.jpg")) == (
        "This is a zip file: unzip it, then add the images inside it."
    )


def test_a_pdf_is_refused_with_what_to_do():
    assert refusal(pictures.PDF) == (
        "This is a PDF document, not an image: export its pages as JPEG or PNG."
    )


def test_a_png_declaring_30000_by_30000_is_refused_before_decoding(no_decoding):
    bomb = pictures.png_declaring(30_000, 30_000)
    assert len(bomb) < 200
    assert refusal(bomb) == BOMB


def test_a_png_past_pillows_own_limit_is_refused_from_its_warning(no_decoding):
    # 10,000 × 9,000 is past Pillow's MAX_IMAGE_PIXELS (a warning, made a refusal here).
    assert Image.MAX_IMAGE_PIXELS < 10_000 * 9_000 < 2 * Image.MAX_IMAGE_PIXELS
    assert refusal(pictures.png_declaring(10_000, 9_000)) == BOMB


def test_a_png_past_the_apps_own_limit_says_its_size(no_decoding):
    assert refusal(pictures.png_declaring(9_000, 9_000)) == (
        "It says it is 9,000 × 9,000 pixels (81 megapixels), far more than any photo: it is "
        "not added. Save a copy of a usual size."
    )


@pytest.mark.parametrize("format_", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("keep", [0.9, 0.5])
def test_a_truncated_file_is_refused_as_cut_short(format_, keep):
    whole = pictures.picture(9, format_, size=(1024, 1024))
    assert refusal(pictures.cut(whole, keep)) == CUT_SHORT


def test_a_jpeg_cut_just_before_its_end_marker_is_refused():
    whole = pictures.picture(9, "JPEG")
    assert whole.endswith(b"\xff\xd9")
    assert refusal(whole[:-2]) == CUT_SHORT


def test_a_truncated_jpeg_is_refused_even_with_a_whole_exif_preview_in_it():
    # The camera's little preview inside the EXIF block ends with an end marker of its
    # own: that one does not make the photo whole.
    image = pictures.pattern(4, (1024, 1024))
    preview = pictures.solid((90, 90, 90), "JPEG", size=(64, 64))
    whole = pictures.encoded(image, "JPEG", exif=image.getexif().tobytes() + preview)
    end_of_preview = whole.index(preview) + len(preview)
    cut = whole[: end_of_preview + 1000]  # the headers and the start of the picture
    assert len(cut) < 4096 and cut.count(b"\xff\xd9") == 1
    assert refusal(cut) == CUT_SHORT
    assert checked(whole).format == "JPEG"


def test_a_jpeg_with_data_after_its_end_is_kept():
    # Phones append their own data after the picture (a motion photo's video, a maker's
    # trailer): the picture itself is whole.
    whole = pictures.picture(9, "JPEG")
    trailer = bytes(range(256)) * 64  # 16 KB with no end marker in it
    kept = checked(whole + trailer)
    assert (kept.format, kept.width, kept.height) == ("JPEG", 1024, 1024)


# -- sizes: refused, kept with a note, refused without upscaling ------------------------


@pytest.mark.parametrize("size", [(255, 1024), (1024, 255), (200, 2000), (100, 100)])
def test_under_256_pixels_on_a_side_is_refused(size):
    width, height = size
    assert refusal(pictures.picture(2, "PNG", size=size)) == (
        f"It is {width} × {height} pixels, and Bria needs at least 256 on the shorter side: use "
        "a larger copy (1024 or more is best)."
    )


@pytest.mark.parametrize("size", [(256, 256), (600, 800), (1023, 4000)])
def test_256_to_1023_pixels_is_kept_with_a_note_that_bria_upscales_it(size, no_decoding):
    width, height = size
    found = checked(pictures.picture(2, "JPEG", size=size))
    assert (found.width, found.height) == size
    assert found.notes == [
        f"It is {width} × {height} pixels: Bria will upscale it (1024 or more on the shorter "
        "side is best)."
    ]


@pytest.mark.parametrize("size", [(256, 256), (1023, 1023)])
def test_256_to_1023_pixels_is_refused_when_upscaling_is_turned_off(size):
    width, height = size
    assert refusal(pictures.picture(2, "PNG", size=size), increase_resolution=False) == (
        f"It is {width} × {height} pixels, under the 1024 Bria needs when upscaling is turned "
        "off: use a larger copy, or let Bria upscale small images."
    )


def test_1024_pixels_needs_no_upscaling_either_way():
    content = pictures.picture(2, "PNG", size=(1024, 1024))
    assert checked(content, increase_resolution=False).notes == []
    assert checked(content, increase_resolution=True).notes == []


# -- orientation and transparency ----------------------------------------------------------


@pytest.mark.parametrize("format_", ["JPEG", "PNG", "WEBP"])
def test_a_photo_on_its_side_has_width_and_height_swapped_and_a_note(format_, no_decoding):
    found = checked(pictures.with_orientation(6, size=(1200, 1024), format_=format_))
    assert (found.width, found.height, found.orientation) == (1024, 1200, 6)
    assert found.notes == [TURNED]


def test_a_photo_upside_down_keeps_its_size_and_has_a_note():
    found = checked(pictures.with_orientation(3, size=(1200, 1024)))
    assert (found.width, found.height, found.orientation) == (1200, 1024, 3)
    assert found.notes == [TURNED]


def test_the_size_rules_read_the_picture_the_right_way_up():
    # 2000 wide, 700 high, on its side: 700 × 2000 as people see it, upscaled by Bria.
    found = checked(pictures.with_orientation(8, size=(2000, 700)))
    assert (found.width, found.height) == (700, 2000)
    assert found.notes == [
        "It is 700 × 2000 pixels: Bria will upscale it (1024 or more on the shorter side is best).",
        TURNED,
    ]


def test_an_orientation_that_says_upright_gives_no_note():
    found = checked(pictures.with_orientation(1))
    assert (found.orientation, found.notes) == (1, [])


@pytest.mark.parametrize(
    "content",
    [
        pictures.picture(1, "PNG", mode="RGBA"),
        pictures.picture(1, "PNG", mode="LA"),
        pictures.palette_with_transparency(),
        pictures.picture(1, "WEBP", mode="RGBA"),
    ],
    ids=["png-rgba", "png-grey-alpha", "png-palette-trns", "webp-alpha"],
)
def test_transparency_is_noted(content, no_decoding):
    found = checked(content)
    assert found.transparent is True
    assert found.notes == [TRANSPARENT]


def test_notes_add_up_in_one_file():
    content = pictures.picture(1, "PNG", size=(512, 640), mode="RGBA")
    assert checked(content).notes == [
        "It is 512 × 640 pixels: Bria will upscale it (1024 or more on the shorter side is best).",
        TRANSPARENT,
    ]


def test_the_checks_read_a_file_on_disk_as_werkzeug_keeps_it(tmp_path: Path):
    content = pictures.picture(4, "JPEG")
    path = tmp_path / "upload"
    path.write_bytes(content)
    with path.open("rb") as file:
        found = check(file, len(content), True)
        assert not file.closed  # the upload goes on to be stored from the same stream
    assert found.sha256 == hashlib.sha256(content).hexdigest()
