"""``innovate dashboard``: serve the Solara dashboard (``dashboards/app.py``) in a web browser.

The server binds 127.0.0.1 unless ``--host`` says otherwise, so only this machine can open the
page. Every browser tab gets its own model: two people never see each other's runs.

Solara's page loads its JavaScript (Vue, Vuetify, Vega) through the server's ``/_solara/cdn/``
proxy, which downloads it from a public CDN the first time and keeps it in
``<python prefix>/share/solara/cdn``. On a closed network, fill that cache once from the npm
registry with ``innovate dashboard --install-assets`` (needs ``npm``); after that the dashboard
needs no internet at all.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import warnings
from pathlib import Path

from sim.cli import whole_number
from sim.errors import InputError

APP = "dashboards.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# (folder in Solara's asset cache, npm package spec): what the page requests through the proxy
# with ipyvue/ipyvuetify < 3 (the Vue 2 app), requirejs, Font Awesome, the Vega trio of Solara's
# VegaLite widget, and mermaid and KaTeX, which solara.Markdown always loads. The folder name
# must be the spec the page asks for (vega@5).
ASSETS: tuple[tuple[str, str], ...] = (
    ("@widgetti/solara-vuetify-app@10.1.1", "@widgetti/solara-vuetify-app@10.1.1"),
    ("requirejs@2.3.6", "requirejs@2.3.6"),
    ("font-awesome@4.5.0", "font-awesome@4.5.0"),
    ("vega@5", "vega@5"),
    ("vega-lite@5", "vega-lite@5"),
    ("vega-embed@6", "vega-embed@6"),
    ("mermaid@10.8.0", "mermaid@10.8.0"),
    ("katex@0.16.9", "katex@0.16.9"),
)
# a file in each package that proves it was unpacked
_PROBES = {
    "@widgetti/solara-vuetify-app@10.1.1": "dist/solara-vuetify-app8.min.js",
    "requirejs@2.3.6": "require.js",
    "font-awesome@4.5.0": "css/font-awesome.min.css",
    "vega@5": "build/vega.min.js",
    "vega-lite@5": "build/vega-lite.min.js",
    "vega-embed@6": "build/vega-embed.min.js",
    "mermaid@10.8.0": "dist/mermaid.min.js",
    "katex@0.16.9": "dist/contrib/auto-render.min.js",
}


def asset_cache() -> Path:
    """Solara's asset cache folder for this Python environment."""
    from solara.server import settings
    return Path(settings.assets.proxy_cache_dir)


def missing_assets(cache: Path | None = None) -> list[str]:
    """The asset folders not yet in the cache (empty when the page can load offline)."""
    cache = cache or asset_cache()
    return [folder for folder, _ in ASSETS if not (cache / folder / _PROBES[folder]).is_file()]


def install_assets(cache: Path | None = None, npm: str | None = None) -> list[str]:
    """Fill the cache from the npm registry with ``npm pack``; returns the folders installed.

    Each package is packed into a temporary folder and unpacked to ``cache/<folder>/``, which is
    where Solara's proxy looks before it would go to the CDN.
    """
    cache = cache or asset_cache()
    todo = missing_assets(cache)
    if not todo:
        return []
    npm = npm or shutil.which("npm")
    if not npm:
        raise InputError("--install-assets needs npm (e.g. apt-get install npm)")
    specs = dict(ASSETS)
    with tempfile.TemporaryDirectory(prefix="innovate-assets-") as tmp:
        for k, folder in enumerate(todo):
            work = Path(tmp) / str(k)
            work.mkdir()
            packed = subprocess.run([npm, "pack", specs[folder], "--pack-destination", str(work),
                                     "--silent"], capture_output=True, text=True, check=False)
            tarballs = sorted(work.glob("*.tgz"))
            if packed.returncode != 0 or len(tarballs) != 1:
                last = (packed.stderr or packed.stdout).strip().splitlines()[-1:]
                raise InputError(f"npm pack {specs[folder]} failed: {' '.join(last)}")
            with tarfile.open(tarballs[0]) as archive:
                archive.extractall(work / "unpacked", filter="data")
            target = cache / folder
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(work / "unpacked" / "package"), str(target))
    return todo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``innovate dashboard``."""
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; "
                             "0.0.0.0 lets anyone who can reach this machine open the page)")
    parser.add_argument("--port", type=whole_number("--port", 0, 65535), default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")
    parser.add_argument("--install-assets", action="store_true",
                        help="put Solara's JavaScript into its local cache from the npm "
                             "registry (for closed networks), then exit")


def _quiet_environment() -> None:
    """Solara settings for a private, offline-friendly server (read when Solara is imported)."""
    # no usage statistics sent anywhere, no version check against PyPI, no corner banner
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # Solara warns on every page load over plain http to 127.0.0.1 that it uses a SameSite=Lax
    # session cookie: that is what a local server wants, so keep the terminal quiet
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")


def main(args: argparse.Namespace) -> int:
    """Run ``innovate dashboard`` with parsed arguments; returns the exit code."""
    _quiet_environment()
    if args.install_assets:
        installed = install_assets()
        cache = asset_cache()
        print(f"Solara assets in {cache}: " + (f"installed {', '.join(installed)}" if installed
                                                else "all present"))
        return 0
    try:
        import solara  # noqa: F401
    except ImportError:
        raise InputError("the dashboard needs solara (pip install innovate-sim)") from None
    missing = missing_assets()
    if missing:
        print("note: Solara's JavaScript is not in the local cache; the page will fetch it from "
              "the CDN. For a closed network run 'innovate dashboard --install-assets' first.",
              file=sys.stderr)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: listening on {args.host}: anyone who can reach this machine can open the "
              "dashboard.", file=sys.stderr)
    serve(args.host, args.port, open_browser=args.open)
    return 0


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, open_browser: bool = False,
          production: bool = True) -> None:
    """Serve the dashboard with Solara's server until interrupted (Ctrl+C)."""
    _quiet_environment()
    from solara.__main__ import run

    argv = [APP, "--host", host, "--port", str(port), "--no-check-version",
            "--open" if open_browser else "--no-open", "--log-level-uvicorn", "warning"]
    if production:
        argv.append("--production")
    run.main(argv, prog_name="innovate dashboard", standalone_mode=False)
