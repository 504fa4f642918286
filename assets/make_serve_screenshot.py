"""Re-make assets/serve.png: `python assets/make_serve_screenshot.py` (half a minute).

`poet serve` on a free port over a throwaway POET_HOME with two small corpora of public-domain poems registered,
the page opened in headless Chromium at 1280 × 800 (the route tests/test_serve.py takes: Debian's
/usr/bin/chromium, Playwright, the `serve` extra and the `dev` group), one registered corpus highlighted, and the page
photographed once its statistics and first poems are shown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.browser import (  # noqa: E402 - the repository root must be on the path first
    chromium_page,
    screen_text,
    served_poet,
    wait_for_screen,
    wait_until,
    why_no_browser,
)

# (title, author, lines): registered as JSON lists in the chinese-poetry layout, which keeps titles and authors.
CORPORA: dict[str, list[tuple[str, str, list[str]]]] = {
    "blake-songs": [
        ("The Tyger", "William Blake", ["Tyger Tyger, burning bright,", "In the forests of the night;",
                                        "What immortal hand or eye,", "Could frame thy fearful symmetry?"]),
        ("The Lamb", "William Blake", ["Little Lamb who made thee", "Dost thou know who made thee",
                                       "Gave thee life & bid thee feed.", "By the stream & o'er the mead;"]),
        ("A Poison Tree", "William Blake", ["I was angry with my friend;", "I told my wrath, my wrath did end.",
                                            "I was angry with my foe:", "I told it not, my wrath did grow."]),
    ],
    "dickinson": [
        ('"Hope" is the thing with feathers', "Emily Dickinson",
         ['"Hope" is the thing with feathers -', "That perches in the soul -",
          "And sings the tune without the words -", "And never stops - at all -"]),
        ("Because I could not stop for Death", "Emily Dickinson",
         ["Because I could not stop for Death -", "He kindly stopped for me -",
          "The Carriage held but just Ourselves -", "And Immortality."]),
    ],
}  # fmt: skip


def register_corpora(home: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, poems in CORPORA.items():
        path = folder / f"{name}.json"
        entries = [{"title": title, "author": author, "paragraphs": lines} for title, author, lines in poems]
        path.write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "poet_tui", "corpora", "add", str(path), "--name", name],
            check=True,
            env={**os.environ, "POET_HOME": str(home)},
            stdout=subprocess.DEVNULL,
        )


def main() -> None:
    reason = why_no_browser()
    if reason is not None:
        raise SystemExit(f"cannot make the screenshot: {reason}")
    with tempfile.TemporaryDirectory(prefix="poet-") as scratch:
        home = Path(scratch) / "home"
        register_corpora(home, Path(scratch) / "poems")
        with served_poet(home) as served, chromium_page(1280, 800) as page:
            page.goto(served.url)
            wait_for_screen(page, "Corpus F2", "tang300", "blake-songs")
            page.focus("textarea.xterm-helper-textarea")  # keys to the terminal, where the corpus table has focus
            for _ in range(12):  # down the corpus table to blake-songs, whose first poem is The Tyger
                page.keyboard.press("ArrowDown")
                try:
                    wait_for_screen(page, "Tyger Tyger", timeout=5)
                    break
                except AssertionError:
                    continue
            wait_for_screen(page, "Tyger Tyger", "blake-songs")
            wait_until(lambda: "reading…" not in screen_text(page), 60, "the corpus to be read")
            page.screenshot(path=str(Path(__file__).with_name("serve.png")))
    print(f"wrote {Path(__file__).with_name('serve.png')}")


if __name__ == "__main__":
    main()
