"""Take the README's pictures of the views of the sample library, in headless Chromium.

    python bench/screenshots.py            # writes docs/taxonomy.png, docs/dream.png, docs/path.png, docs/gaps.png

Run it from the repository root after `dreamgraph build && dreamgraph export --all` whenever the views
change, and commit the pictures. Each is a 1200×760 window of the page as a reader opens it: the
taxonomy at first sight, a dream selected with two links lit around it, a progression picked in the page,
and the gap view with the top gap chosen.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
SHOTS = {
    "taxonomy": ("taxonomy", ""),
    "dream": ("taxonomy", "#dream=being-chased&depth=2"),
    "path": ("taxonomy", "#from=losing-control&to=drowning"),
    "gaps": ("gaps", "#dream=being-chased-by-a-killer"),
}


def main() -> None:
    from playwright.sync_api import sync_playwright

    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for view in ("taxonomy", "gaps"):
            subprocess.run([sys.executable, "-m", "dreamgraph.cli", "-g", str(ROOT / "graph"), "export", "-v", view,
                            "-o", f"{folder}/{view}.html"], check=True, capture_output=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for name, (view, state) in SHOTS.items():
                page = browser.new_page(viewport={"width": 1200, "height": 760})
                page.goto(Path(f"{folder}/{view}.html").as_uri() + state)
                page.wait_for_selector("body[data-drawn=true]")
                page.wait_for_function("() => !document.querySelector('#panel-card[data-path=pending]')")
                page.wait_for_timeout(400)  # the card and the last frame
                target = DOCS / f"{name}.png"
                page.screenshot(path=str(target))
                print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size // 1024} KB)")
                page.close()
            browser.close()


if __name__ == "__main__":
    main()
