"""``innovate dashboard``: serve the Solara dashboard (``dashboards/app.py``) in a web browser.

The server binds 127.0.0.1 unless ``--host`` says otherwise, so only this machine can open the
page. Every browser tab gets its own model: two people never see each other's runs.

Solara's page loads its JavaScript (Vue, Vuetify, Vega) through the server's ``/_solara/cdn/``
proxy, which looks in ``<python prefix>/share/solara/cdn`` before it would go to a public CDN.
The install (``python3 install.py``) and otherwise the first start fill that cache from the npm
registry, with pinned versions and digests and no npm needed; after that the dashboard needs no
internet at all. Where the JavaScript cannot be had, the page says so and what to do.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import http.server
import io
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

from sim.cli import whole_number
from sim.errors import InputError

APP = "dashboards.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Asset:
    """One npm package the page loads through Solara's CDN proxy, pinned and checked.

    ``folder`` is the spec the page asks for (``vega@5``), which is the folder Solara's proxy
    looks in; ``probe`` is a file that proves the package was unpacked there.
    """

    folder: str
    package: str
    version: str
    integrity: str
    probe: str

    @property
    def tarball(self) -> str:
        """The tarball's path in an npm registry."""
        return f"{self.package}/-/{self.package.rsplit('/', 1)[-1]}-{self.version}.tgz"


# What the page requests with ipyvue/ipyvuetify < 3 (the Vue 2 app): requirejs, Font Awesome,
# the Vega trio of Solara's VegaLite widget, and mermaid and KaTeX, which solara.Markdown always
# loads. Versions and sha512 digests are those of the npm registry.
ASSETS: tuple[Asset, ...] = (
    Asset("@widgetti/solara-vuetify-app@10.1.1", "@widgetti/solara-vuetify-app", "10.1.1",
          "sha512-Cdu6G7KIBeohT2jyeQUEDr61dhEozY23St+iDwfA3+ZyPZyoIza/nS4W2g8+dbs0Xhb+WQnXlaRI92TLgeY/Jw==",
          "dist/solara-vuetify-app8.min.js"),
    Asset("requirejs@2.3.6", "requirejs", "2.3.6",
          "sha512-ipEzlWQe6RK3jkzikgCupiTbTvm4S0/CAU5GlgptkN5SO6F3u0UD0K18wy6ErDqiCyP4J4YYe1HuAShvsxePLg==",
          "require.js"),
    Asset("font-awesome@4.5.0", "font-awesome", "4.5.0",
          "sha512-XGGY8CN/NT8e5fKOC/K7CESNQ3+2oYOfZqwZcKgEMtcmTiHtFIH+XZWRoU0HtcdwhtSkpWXLfTIUlTdJ4PhX8A==",
          "css/font-awesome.min.css"),
    Asset("vega@5", "vega", "5.33.1",
          "sha512-1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw==",
          "build/vega.min.js"),
    Asset("vega-lite@5", "vega-lite", "5.23.0",
          "sha512-l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA==",
          "build/vega-lite.min.js"),
    Asset("vega-embed@6", "vega-embed", "6.29.0",
          "sha512-PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q==",
          "build/vega-embed.min.js"),
    Asset("mermaid@10.8.0", "mermaid", "10.8.0",
          "sha512-9CzfSreRjdDJxX796+jW4zjEq0DVw5xVF0nWsqff8OTbrt+ml0TZ5PyYUjjUZJa2NYxYJZZXewEquxGiM8qZEA==",
          "dist/mermaid.min.js"),
    Asset("katex@0.16.9", "katex", "0.16.9",
          "sha512-fsSYjWS0EEOwvy81j3vRA8TEAhQhKiqO+FQaKWp0m39qwOzHVBgAUBIXWj1pB+O2W3fIpNa6Y9KSKCVbfPhyAQ==",
          "dist/contrib/auto-render.min.js"),
)


def asset_cache() -> Path:
    """Solara's asset cache folder for this Python environment."""
    from solara.server import settings
    return Path(settings.assets.proxy_cache_dir)


def missing_assets(cache: Path | None = None) -> list[str]:
    """The asset folders not yet in the cache (empty when the page can load offline)."""
    cache = cache or asset_cache()
    return [a.folder for a in ASSETS if not (cache / a.folder / a.probe).is_file()]


def registry_url() -> str:
    """The npm registry to fetch from: npm's own setting if the environment gives one."""
    for name in ("NPM_CONFIG_REGISTRY", "npm_config_registry"):
        if os.environ.get(name):
            return os.environ[name].rstrip("/")
    return REGISTRY


def install_assets(cache: Path | None = None, registry: str | None = None) -> list[str]:
    """Fill the cache from the npm registry (no npm needed); returns the folders installed.

    Each missing package's tarball is downloaded over HTTPS, checked against its pinned
    sha512 digest and unpacked to ``cache/<folder>/`` (through a temporary folder, so a
    folder in the cache is always complete), which is where Solara's proxy looks before it
    would go to the CDN. Raises :class:`InputError` with one line if a package cannot be had.
    """
    cache = cache or asset_cache()
    registry = (registry or registry_url()).rstrip("/")
    todo = [a for a in ASSETS if a.folder in missing_assets(cache)]
    for asset in todo:
        data = _download(f"{registry}/{asset.tarball}")
        algorithm, digest = asset.integrity.split("-", 1)
        if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != digest:
            raise InputError(f"{registry}/{asset.tarball}: the download does not match its "
                             f"pinned {algorithm} digest; not installed")
        _unpack(data, cache / asset.folder)
    return [a.folder for a in todo]


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise InputError(f"cannot fetch the dashboard's JavaScript from {url}: {reason}") \
            from None


def _unpack(data: bytes, target: Path) -> None:
    """Unpack an npm tarball's ``package/`` folder to ``target`` (replacing it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".innovate-", dir=target.parent) as tmp:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            archive.extractall(tmp, filter="data")
        unpacked = Path(tmp) / "package"
        if not unpacked.is_dir():
            raise InputError(f"{target.name}: the npm tarball has no package/ folder")
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``innovate dashboard``."""
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; "
                             "0.0.0.0 lets anyone who can reach this machine open the page)")
    parser.add_argument("--port", type=whole_number("--port", 0, 65535), default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")
    parser.add_argument("--install-assets", action="store_true",
                        help="put the page's JavaScript into Solara's local cache from the npm "
                             "registry (done at install and first start), then exit")


def _quiet_environment() -> None:
    """Solara settings for a private, offline-friendly server (read when Solara is imported)."""
    # no usage statistics sent anywhere, no version check against PyPI, no corner banner
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # after a server restart the page runs again from its address, which holds the scenario
    # (dashboards.app keeps it there), instead of asking the user to refresh
    os.environ.setdefault("SOLARA_STATE_AUTO_REMOUNT", "True")
    # a page that goes without saying goodbye (a crash, a lost network) frees its session after
    # 30 s instead of Solara's 24 h; if it comes back, its address reopens its scenario
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "30s")
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
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: listening on {args.host}: anyone who can reach this machine can open the "
              "dashboard.", file=sys.stderr)
    problem = ensure_assets()
    if problem is not None:
        print(f"innovate dashboard: {problem}", file=sys.stderr)
        serve_notice(args.host, args.port, problem)
        return 1
    serve(args.host, args.port, open_browser=args.open)
    return 0


def ensure_assets() -> str | None:
    """Make sure the page's JavaScript is in the local cache; None, or what to do about it.

    A first start fetches what is missing from the npm registry (a few seconds, once). If that
    fails and the public CDN cannot be reached either, the page could only be blank, so the
    answer is a sentence telling the user what to do.
    """
    import solara.settings

    if not missing_assets():
        return None
    print("Fetching the dashboard's JavaScript from the npm registry (first start only) ...",
          file=sys.stderr)
    try:
        install_assets()
        return None
    except InputError as error:
        failure = str(error)
    cdn = solara.settings.assets.cdn
    try:
        with urllib.request.urlopen(cdn, timeout=5):
            print(f"note: {failure}; the page will load it from {cdn} instead", file=sys.stderr)
            return None
    except (OSError, ValueError):
        pass
    return (f"the dashboard's JavaScript is not installed and cannot be fetched ({failure}). "
            f"On a machine that can reach the npm registry, run 'innovate dashboard "
            f"--install-assets', or copy its folder {asset_cache()} from a working "
            f"installation, then start the dashboard again.")


def notice_server(host: str, port: int, problem: str) -> http.server.ThreadingHTTPServer:
    """A server of one plain page that says why the dashboard cannot open (not yet started)."""
    sentence = html.escape(problem[:1].upper() + problem[1:])
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>innovate-sim "
            f"dashboard: cannot start</title></head><body style='font-family:sans-serif;"
            f"max-width:42em;margin:3em auto;line-height:1.5'><h1>The dashboard cannot open "
            f"yet</h1><p>{sentence}</p></body></html>").encode()

    class Notice(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            self.send_response(503)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args) -> None:
            pass

    return http.server.ThreadingHTTPServer((host, port), Notice)


def serve_notice(host: str, port: int, problem: str) -> None:
    """Serve :func:`notice_server`'s page until interrupted (Ctrl+C)."""
    with notice_server(host, port, problem) as server:
        print(f"Serving a page that explains this at http://{host}:{port}/ (Ctrl+C to stop)",
              file=sys.stderr)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


STATUS_PATH = "/_innovate/status"


def add_status_route() -> bool:
    """Add ``/_innovate/status`` to a running Solara server (False when not serving).

    It answers JSON: ``sessions`` (models still held, :func:`dashboards.session.live_sessions`),
    ``kernels`` (Solara's open page contexts) and ``rss_mb`` (the server's resident memory), so
    the memory benchmark and tests can check that closed pages release what they held.
    """
    server = sys.modules.get("solara.server.starlette")
    if server is None or any(getattr(r, "path", None) == STATUS_PATH
                             for r in server.app.router.routes):
        return False
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from dashboards.session import live_sessions

    async def status(request) -> JSONResponse:
        from solara.server import kernel_context
        return JSONResponse({"sessions": live_sessions(),
                             "kernels": len(kernel_context.contexts),
                             "rss_mb": round(resident_mb(), 1)})

    server.app.router.routes.insert(0, Route(STATUS_PATH, endpoint=status))
    return True


def resident_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default) in MB, from /proc or psutil."""
    pid = pid or os.getpid()
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import psutil
    return psutil.Process(pid).memory_info().rss / 2**20


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
