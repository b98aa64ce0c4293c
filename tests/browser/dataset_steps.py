"""What a person does with a dataset in the browser, shared by the dataset tests: the files
they add (made here with Pillow), how a page is checked (axe-core at two widths, the focus
as Tab moves it) and what the sandbox holds afterwards."""

from __future__ import annotations

import io
import json
import random
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page

from tests.browser.steps import AXE
from tests.support.live_server import LiveServer

#: Colours the pictures are painted in (none of them near magenta, which the sandbox refuses).
PALETTE = [
    (200, 30, 30),
    (240, 140, 20),
    (240, 220, 40),
    (40, 160, 60),
    (20, 150, 150),
    (40, 80, 200),
    (120, 50, 160),
    (240, 140, 180),
    (120, 80, 40),
    (128, 128, 128),
    (20, 20, 20),
    (235, 235, 235),
]
SIDE = 1100


def picture(
    seed: int, side: int = SIDE, background: tuple[int, int, int] | None = None
) -> Image.Image:
    """A picture of its own: a background and a few shapes placed by `seed`, so that no two
    look alike to the app's perceptual hash (one flat colour each would)."""
    chance = random.Random(seed)
    colour = background or PALETTE[seed % len(PALETTE)]
    image = Image.new("RGB", (side, side), colour)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = chance.randrange(side), chance.randrange(side)
        size = chance.randrange(side // 8, side // 2)
        fill = PALETTE[chance.randrange(len(PALETTE))] if background is None else colour
        shade = tuple(max(0, c - 90) for c in fill) if background is not None else fill
        draw.ellipse((x, y, x + size, y + size), fill=shade)
        draw.rectangle((y // 2, x // 2, y // 2 + size // 2, x // 2 + size // 3), fill=shade)
    return image


def encoded(image: Image.Image, format_: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format_, **options)
    return out.getvalue()


@dataclass(frozen=True)
class Batch:
    """The 30 files added in one go, and what should become of them."""

    paths: list[Path]
    #: File name → words of the app's reason for not adding it.
    refused: dict[str, str]
    #: The file the sandbox refuses as Bria's moderation would (422).
    moderated: str
    #: How many reach the sandbox.
    arriving: int


def mixed_files(folder: Path) -> Batch:
    """30 files as a person might drop them: most valid JPEG, PNG and WebP images of
    1100 × 1100 pixels, one to be upscaled, one near copy, and some the app refuses."""
    folder.mkdir(parents=True, exist_ok=True)
    files: list[tuple[str, bytes]] = []
    formats = [("jpg", "JPEG", {"quality": 85}), ("png", "PNG", {}), ("webp", "WEBP", {})]
    for number in range(21):
        extension, format_, options = formats[number % 3]
        files.append(
            (f"picture-{number:02d}.{extension}", encoded(picture(number), format_, **options))
        )
    first_name, first = files[0]
    files.append(("near copy of picture-00.png", encoded(picture(0), "PNG")))
    files.append(("small-600.jpg", encoded(picture(40, side=600), "JPEG", quality=85)))
    magenta = "magenta.png"
    files.append((magenta, encoded(picture(41, background=(255, 0, 255)), "PNG")))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("inside.jpg", first)
    refused = {
        "notes.png": "not an image the app can read",
        "tiny.png": "100 × 100 pixels",
        "animation.gif": "It is a GIF image",
        "holiday.zip": "This is a zip file",
        "empty.jpg": "The file is empty",
        "copy of picture-00.jpg": f"the same file as “{first_name}”",
    }
    files += [
        ("notes.png", b"Shopping list: milk, eggs, bread.\n" * 20),
        ("tiny.png", encoded(picture(42, side=100), "PNG")),
        ("animation.gif", encoded(picture(43), "GIF")),
        ("holiday.zip", archive.getvalue()),
        ("empty.jpg", b""),
        ("copy of picture-00.jpg", first),
    ]
    assert len(files) == 30
    paths = []
    for name, content in files:
        path = folder / name
        path.write_bytes(content)
        paths.append(path)
    return Batch(paths, refused, magenta, arriving=len(files) - len(refused) - 1)


# -- what the app and the sandbox hold -------------------------------------------------


def dataset_id_of(page: Page) -> int:
    found = re.search(r"/datasets/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def saved_schema(server: LiveServer, dataset_id: int) -> dict[str, str]:
    """The visual schema the sandbox holds, read through the app's own client."""
    return json.loads(
        server.app.extensions["webapp"].bria.datasets.get(dataset_id)["visual_schema"]
    )


def caption_at_bria(server: LiveServer, dataset_id: int, image_id: int) -> dict[str, str]:
    image = server.app.extensions["webapp"].bria.images.get(dataset_id, image_id)
    return json.loads(image["caption"])


# -- how the pages are looked at and used ----------------------------------------------

#: What a person sees of an element's focus: its outline, shadow, colours and underline.
LOOK = """element => {
  const style = getComputedStyle(element);
  return [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow,
          style.backgroundColor, style.color, style.textDecorationLine].join(" | ");
}"""
FOCUSED = "element => element === document.activeElement"
#: Whether `element` comes before where Tab would start from (the focus, else the part of
#: the page the address points at): a person then goes back with Shift+Tab.
BEHIND = """element => {
  const active = document.activeElement;
  const start = active && active !== document.body ? active
    : location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  const before = Node.DOCUMENT_POSITION_PRECEDING;
  return Boolean(start && start.compareDocumentPosition(element) & before);
}"""
WIDTHS = (1280, 360)


def sideways(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def assert_accessible(page: Page, what: str) -> None:
    """axe-core finds nothing wrong on the page as it is now at a laptop's width and at a
    phone's, and neither width scrolls sideways."""
    viewport = page.viewport_size
    try:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            results = AXE.run(page)
            assert results.violations_count == 0, f"{what} at {width} px:\n" + (
                results.generate_report()
            )
            assert sideways(page) <= 0, f"{what} scrolls sideways at {width} px"
    finally:
        if viewport is not None:
            page.set_viewport_size(viewport)


def assert_accessible_without_scripts(page: Page, what: str) -> None:
    """The same for the page as it is without JavaScript. axe-core cannot run where
    JavaScript is off (it waits on timers), so the page is opened again, with the same
    cookies, in a browser that runs axe but none of the page's own scripts."""
    context = page.context
    assert context.browser is not None
    twin = context.browser.new_context(storage_state=context.storage_state())
    try:
        twin.route(re.compile(r"\.js(\?.*)?$"), lambda route: route.abort())
        same = twin.new_page()
        same.goto(page.url)
        assert_accessible(same, what + " (without JavaScript)")
    finally:
        twin.close()


def tab_to(page: Page, target: Locator, presses: int = 150) -> None:
    """Press Tab (or Shift+Tab, back) until `target` has the focus, as a person without a
    mouse moves on, and check that the focus shows: the element looks different with it."""
    if target.evaluate(FOCUSED):
        return
    unfocused = target.evaluate(LOOK)
    key = "Shift+Tab" if target.evaluate(BEHIND) else "Tab"
    for _ in range(presses):
        page.keyboard.press(key)
        if target.evaluate(FOCUSED):
            break
    else:
        raise AssertionError(f"{key} did not reach {target} in {presses} presses")
    assert target.evaluate(LOOK) != unfocused, f"the focus on {target} does not show"


def ready_for_file_choosers(page: Page) -> None:
    """Playwright catches the browser's file picker only once it is asked to, and the asking
    is not waited for: ask early, before a key may open one."""
    page.on("filechooser", lambda chooser: None)


def choose_files_with_the_keyboard(page: Page, field: Locator, paths: list[Path]) -> None:
    """Tab to a file input and open its picker with Space (see `ready_for_file_choosers`)."""
    tab_to(page, field)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(paths)


def activate(page: Page, target: Locator, key: str = "Enter") -> None:
    """Tab to a link or a button and press it."""
    tab_to(page, target)
    page.keyboard.press(key)


def choose(page: Page, name: str, value: str) -> None:
    """Pick a radio button with the keyboard: Tab into its group (which lands on the first
    one shown), Space, then the arrow keys to the one wanted."""
    wanted = page.locator(f"input[type=radio][name='{name}'][value='{value}']")
    tab_to(page, page.locator(f"input[type=radio][name='{name}']:visible").first)
    page.keyboard.press("Space")
    for _ in range(20):
        if wanted.is_checked():
            break
        page.keyboard.press("ArrowDown")
    assert wanted.is_checked() and wanted.evaluate(FOCUSED), f"{name}={value} not chosen"


def type_over(page: Page, field: Locator, text: str) -> None:
    """Tab to a field, select what is in it and type `text` over it."""
    tab_to(page, field)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def reload_until(page: Page, done: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Reload the page, as a person without live updates does, until `done()` says so."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen in {seconds:g} s")
        page.wait_for_timeout(100)  # a breath between reloads, not a wait for the event
        page.reload()
