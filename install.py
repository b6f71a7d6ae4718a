"""Set up innovate-sim in ./.venv with a Python 3.12 or newer, then run it or its tests.

Run it with any Python 3 (3.6 or newer; it uses only the standard library):

    python3 install.py run [ARGS...]    install, then `innovate run ARGS` (by default the
                                        calibrated history, historical-calibrated)
    python3 install.py test [ARGS...]   install with the test extra, Chromium and the
                                        dashboard's JavaScript, then `python -m pytest ARGS`
    python3 install.py                  install only
    python3 install.py which            print the path of the Python 3.12+ it would use

It finds a Python >= 3.12 itself: $PYTHON if set; otherwise the oldest 3.12 or newer among
python3.12 ... python3.16, python3 and python on PATH, pyenv's versions (even when pyenv does
not put them on PATH), uv's managed Pythons and, on Windows, the `py` launcher (the oldest,
because the project's dependencies publish wheels for a new Python last). Where there is none,
it says what to install, in one line, and exits with code 1. `.ci/run` calls this script, so
the discovery is written once.
"""

import glob
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
MINIMUM = (3, 12)
NEWEST_MINOR = 16          # python3.16 ... python3.12 are tried on PATH
WINDOWS = os.name == "nt"


def say(text):
    """One line on stderr, prefixed with the script's name."""
    sys.stderr.write("install.py: " + text + "\n")
    sys.stderr.flush()


def version_of(command):
    """(major, minor) of a Python command (a list of words), or None if it does not run."""
    try:
        out = subprocess.run(command + ["-c", "import sys; print(*sys.version_info[:2])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    words = out.stdout.split()
    if out.returncode != 0 or len(words) != 2:
        return None
    return int(words[0]), int(words[1])


def candidates():
    """Python commands to try."""
    for minor in range(MINIMUM[1], NEWEST_MINOR + 1):
        found = shutil.which("python3.%d" % minor)
        if found:
            yield [found]
    for name in ("python3", "python"):
        found = shutil.which(name)
        if found:
            yield [found]
    roots = [os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            roots.insert(0, subprocess.run([pyenv, "root"], stdout=subprocess.PIPE,
                                           universal_newlines=True, timeout=30).stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    python = os.path.join("Scripts", "python.exe") if WINDOWS else os.path.join("bin", "python3")
    for root in filter(None, roots):
        for path in glob.glob(os.path.join(root, "versions", "3.*", python)):
            yield [path]
    uv = os.path.expanduser("~/.local/share/uv/python")
    for path in glob.glob(os.path.join(uv, "cpython-3.*", "bin", "python3")):
        yield [path]
    launcher = shutil.which("py")
    if launcher:
        for minor in range(MINIMUM[1], NEWEST_MINOR + 1):
            yield [launcher, "-3.%d" % minor]


def find_python():
    """$PYTHON, or the oldest candidate that is 3.12 or newer: (command, (major, minor))."""
    if os.environ.get("PYTHON"):
        command = [os.environ["PYTHON"]]
        version = version_of(command)
        if version is None or version < MINIMUM:
            say("PYTHON=%s is not a Python 3.12 or newer" % command[0])
            sys.exit(1)
        return command, version
    best, best_version, seen = None, None, set()
    for command in candidates():
        key = tuple(command)
        if key in seen:
            continue
        seen.add(key)
        version = version_of(command)
        if version is not None and version >= MINIMUM and (best is None
                                                            or version < best_version):
            best, best_version = command, version
    return best, best_version


def venv_python():
    """The interpreter inside ./.venv."""
    if WINDOWS:
        return os.path.join(VENV, "Scripts", "python.exe")
    return os.path.join(VENV, "bin", "python")


def venv_command(name):
    """A console script inside ./.venv (innovate)."""
    if WINDOWS:
        return os.path.join(VENV, "Scripts", name + ".exe")
    return os.path.join(VENV, "bin", name)


def call(command, what):
    """Run a command in the project folder; on failure say what failed and exit."""
    code = subprocess.call(command, cwd=ROOT)
    if code != 0:
        say("%s failed (exit code %d): %s" % (what, code, " ".join(command)))
        sys.exit(code)


def make_venv():
    """./.venv with a Python >= 3.12 (made again if it holds an older one)."""
    current = version_of([venv_python()]) if os.path.exists(venv_python()) else None
    if current is not None and current >= MINIMUM:
        return
    python, version = find_python()
    if python is None:
        say("innovate-sim needs Python 3.12 or newer and none was found (tried PATH, pyenv, "
            "uv and the py launcher); install one (python.org, 'pyenv install 3.12' or "
            "'uv python install 3.12') and run this again")
        sys.exit(1)
    say("using %s (Python %d.%d)" % (" ".join(python), version[0], version[1]))
    if os.path.exists(VENV):
        shutil.rmtree(VENV)
    call(python + ["-m", "venv", VENV], "creating .venv")


def install(extra):
    """Install the project (with an extra) into ./.venv with pip."""
    call([venv_python(), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
         "upgrading pip")
    target = ".[%s]" % extra if extra else "."
    call([venv_python(), "-m", "pip", "install", "--quiet", target], "pip install " + target)
    # the dashboard's JavaScript, so that the page loads with no CDN (from the npm registry)
    call([venv_command("innovate"), "dashboard", "--install-assets"],
         "fetching the dashboard's JavaScript")


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium():
    """A Chromium or Chrome executable, or None."""
    if os.environ.get("CHROMIUM") and os.path.isfile(os.environ["CHROMIUM"]):
        return os.environ["CHROMIUM"]
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure_chromium():
    """Chromium for the browser tests: Debian's package when we may install it, else a hint."""
    if find_chromium():
        return
    apt = shutil.which("apt-get")
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    if apt and root:
        say("installing Debian's chromium for the browser tests (apt-get)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", "chromium"]):
            if subprocess.call(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL) != 0:
                break
        if find_chromium():
            return
    say("the browser tests need Chromium and none was found: install it (Debian: 'sudo "
        "apt-get install chromium'; macOS: Google Chrome) or set CHROMIUM=/path/to/it, "
        "then run this again")
    sys.exit(1)


def print_python():
    """Print the full path of the Python :func:`find_python` chooses; 1 if there is none."""
    python, _ = find_python()
    if python is None:
        say("no Python 3.12 or newer found (tried $PYTHON, PATH, pyenv, uv and the py launcher)")
        return 1
    print(subprocess.check_output(python + ["-c", "import sys; print(sys.executable)"],
                                  universal_newlines=True).strip())
    return 0


def main(argv):
    """Parse ``run``/``test``/nothing and do it; returns the exit code."""
    action = argv[0] if argv else ""
    rest = argv[1:]
    if action not in ("", "run", "test", "which"):
        say("unknown action %r; use 'run', 'test', 'which' or nothing (install only)" % action)
        return 2
    if action == "which":
        return print_python()
    make_venv()
    install("test" if action == "test" else "")
    if action == "run":
        return subprocess.call([venv_command("innovate"), "run"] + rest, cwd=ROOT)
    if action == "test":
        ensure_chromium()
        return subprocess.call([venv_python(), "-m", "pytest"] + rest, cwd=ROOT)
    say("installed in .venv; try .venv/bin/innovate run")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
