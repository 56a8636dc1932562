"""Make docs/explore.png, README's picture of `cbow explore`, from the demo corpus.

    python scripts/explore_screenshot.py [--output docs/explore.png] [--view map]

Trains the built-in demo corpus as `cbow train` does (into a temporary directory, with
its training log), serves it, opens the page in Debian's headless chromium (Playwright,
as tests/test_explore_browser.py does), selects 'paris' on the map of the most frequent
words, and writes a screenshot reduced to a small palette PNG (Pillow, from the test extra).
The picture is generated, never drawn by hand: rerun this after changing the page.
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

from cbow.cli import main as cbow_main

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWS = {
    "map": ("map?file=0", "paris"),
    "neighbours": ("neighbours?file=0&word=paris", None),
}


def shoot(url: str, view: str, profile: Path) -> bytes:
    from playwright.sync_api import sync_playwright

    hash_part, find = VIEWS[view]
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1180, "height": 700}, device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{url}#{hash_part}")
        if view == "map":
            page.wait_for_selector("#map-canvas[data-points]:not(.stale)")
            page.fill("#map-find", find)
            page.keyboard.press("Enter")
            page.wait_for_selector("#map-side li button.word")
            canvas = page.locator("#map-canvas").bounding_box()
            page.mouse.move(canvas["x"] + canvas["width"] / 2 + 40, canvas["y"] + canvas["height"] / 2 + 120)
        else:
            page.wait_for_selector("#neighbours-result li")
        page.wait_for_timeout(400)  # the labels' final placement, once the view rests
        picture = page.screenshot()
        context.close()
    return picture


def small_png(picture: bytes, colours: int = 96) -> bytes:
    """The screenshot with an adaptive palette: a fraction of the bytes, the same to the eye."""
    from PIL import Image

    image = Image.open(io.BytesIO(picture)).convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=str(Path(__file__).resolve().parents[1] / "docs" / "explore.png"))
    parser.add_argument("--view", choices=sorted(VIEWS), default="map")
    args = parser.parse_args()
    from cbow.explore.served import load_files
    from cbow.explore.server import ExploreServer

    with tempfile.TemporaryDirectory(prefix="cbow-explore-shot-") as scratch:
        vectors = Path(scratch) / "demo.cbow"
        assert cbow_main(["train", "-o", str(vectors), "-q"]) == 0
        with ExploreServer(load_files([vectors])).start() as server:
            picture = shoot(server.url, args.view, Path(scratch) / "profile")
    data = small_png(picture)
    Path(args.output).write_bytes(data)
    print(f"wrote {args.output} ({len(data) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
