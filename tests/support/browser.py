"""Helpers for the browser tests: Debian's Chromium, a JupyterLab server on loopback, picture diffs."""

import io
import json
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

# Debian's package (make browser-tools installs it); never a browser that Playwright downloads.
CHROMIUM = pathlib.Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# No sandbox (we may be root), no GPU (no display), and nothing that reaches out to the network:
# the machines that run the suite have none, and Chromium stalls or retries without these.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "browser" / "artifacts"

# Browser-side waits: generous (the rest of the suite may be busy on both cores), but bounded.
TIMEOUT_MS = 90_000
SERVER_START_S = 90


def chromium_missing():
    """None when Chromium can be launched from CHROMIUM, else the reason the browser tests skip."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return (f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
                "(`make browser-tools`, or apt-get install chromium), or set CHROMIUM=/path/to/chromium")
    return None


def _same_folder(a, b):
    try:
        return pathlib.Path(a).resolve() == pathlib.Path(b).resolve()
    except OSError:
        return False


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# JupyterLab user settings for the tests: no news or update pop-ups (there is no network), and every
# notebook cell kept in the page (windowing off) so that outputs can be found without scrolling.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


class LabServer:
    """`jupyter lab` serving `root_dir` on 127.0.0.1 (a free port, a random token), run from `root_dir`.

    nbgrader's server extensions read nbgrader_config.py from the server's working directory, so
    the root folder is also the working directory. Jupyter's user folders (config, runtime, lab
    settings and workspaces, IPython) live under `workdir`, away from the real home.

    command: None to start `python -m jupyterlab` itself; else a function (port, token) -> argv that
    starts the server another way (e.g. `make lab`), serving `root_dir` on 127.0.0.1:port with that
    token. It runs in a process group of its own, which stop() ends whole.
    path_help: put this venv's bin/ first on PATH (True), or take it off PATH (False), so that the
    command must find its tools the way it would from an instructor's plain shell.
    """

    def __init__(self, root_dir, workdir, command=None, path_help=True):
        self.root_dir = pathlib.Path(root_dir)
        self.workdir = pathlib.Path(workdir)
        self.token = secrets.token_hex(16)
        self.port = None
        self.process = None
        self.log_path = self.workdir / "jupyter-lab.log"
        self.command = command
        self.path_help = path_help

    def _environment(self):
        env = dict(os.environ)
        venv_bin = pathlib.Path(sys.executable).parent
        path = [entry for entry in env.get("PATH", "").split(os.pathsep)
                if entry and not _same_folder(entry, venv_bin)]
        env["PATH"] = os.pathsep.join([str(venv_bin), *path] if self.path_help else path)
        if not self.path_help:
            env.pop("VIRTUAL_ENV", None)
        for name, folder in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                             ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
                             ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"), ("IPYTHONDIR", "ipython")]:
            (self.workdir / folder).mkdir(parents=True, exist_ok=True)
            env[name] = str(self.workdir / folder)
        env.pop("JUPYTER_PATH", None)
        env["PYTHONHASHSEED"] = "0"
        return env

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = self._environment()
        for name, values in LAB_SETTINGS.items():
            path = pathlib.Path(env["JUPYTERLAB_SETTINGS_DIR"]) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        last_error = None
        for _ in range(3):  # a port found free may be taken before the server binds it: try another
            self.port = _free_port()
            if self.command is not None:
                command = list(self.command(self.port, self.token))
            else:
                command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
                           f"--port={self.port}", "--ServerApp.port_retries=0",
                           f"--ServerApp.root_dir={self.root_dir}", f"--IdentityProvider.token={self.token}",
                           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
                if os.getuid() == 0:
                    command.append("--allow-root")
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(command, cwd=self.root_dir, env=env, stdout=log,
                                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                start_new_session=True)
            try:
                self._wait_until_ready()
                return self
            except RuntimeError as error:
                last_error = error
                self.stop()
        raise RuntimeError(f"{last_error}\n--- server log ---\n{self.log_tail()}")

    def _wait_until_ready(self):
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self._name()} exited with code {self.process.returncode} before answering")
            try:
                with urllib.request.urlopen(self.api_url("api/status"), timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self._name()} did not answer /api/status within {SERVER_START_S} s")

    def _name(self):
        return "jupyter lab" if self.command is None else " ".join(self.process.args[:2])

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/"

    def api_url(self, path):
        return f"{self.base_url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def page_url(self, path):
        """A page of the server (e.g. "lab/tree/x.ipynb", "lab?reset"), with the token that logs the browser in."""
        return self.api_url(path)

    def stop(self):
        """Shut the server down with its kernels; kill the process group and any kernel left behind.

        The group is the started command's (e.g. make and the jupyter it runs): it is ended even
        when its leader has already exited."""
        if self.process is None:
            return
        try:
            import psutil

            children = psutil.Process(self.process.pid).children(recursive=True)
        except Exception:  # noqa: BLE001 - psutil missing or the process already gone
            children = []
        if self.process.poll() is None:
            try:  # the graceful way: the server shuts its kernels down, then exits
                request = urllib.request.Request(self.api_url("api/shutdown"), method="POST")
                urllib.request.urlopen(request, timeout=10).close()
                self.process.wait(timeout=15)
            except Exception:  # noqa: BLE001 - stopping: a server that will not wait is killed next
                pass
        for sig in [signal.SIGTERM, signal.SIGKILL]:
            if not _group_alive(self.process.pid):
                break
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 10
            while _group_alive(self.process.pid) and time.monotonic() < deadline:
                if self.process.poll() is None:
                    try:
                        self.process.wait(timeout=0.2)
                    except subprocess.TimeoutExpired:
                        pass
                else:
                    time.sleep(0.2)
        self.process.poll()  # reap the leader
        for child in children:  # kernels run in sessions of their own, outside the server's group
            try:
                child.kill()
            except Exception:  # noqa: BLE001 - stopping: a child already gone is fine
                pass

    def log_tail(self, lines=60):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _group_alive(pgid):
    """Whether a process of group `pgid` is still running (a zombie leader not yet reaped counts)."""
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def changed_pixels(png_before, png_after):
    """How many pixels differ between two screenshots of the same element (PNG bytes)."""
    import numpy as np
    from PIL import Image

    before = np.asarray(Image.open(io.BytesIO(png_before)).convert("RGB"), dtype=np.int16)
    after = np.asarray(Image.open(io.BytesIO(png_after)).convert("RGB"), dtype=np.int16)
    if before.shape != after.shape:
        return max(before.shape[0] * before.shape[1], after.shape[0] * after.shape[1])
    return int(np.count_nonzero(np.abs(before - after).max(axis=2) > 8))


MATHJAX_CDN = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/"


def serve_mathjax_from_disk(page):
    """Answer the formgrader's MathJax requests from jupyter-server-mathjax's copy of MathJax 2.

    nbgrader's formgrader page loads MathJax from a CDN and finishes setting itself up (keyboard
    commands such as Ctrl-Shift-F, which flags a submission) only once MathJax is there; these
    machines reach no network, so the same MathJax is served from disk instead.
    """
    import jupyter_server_mathjax

    static = pathlib.Path(jupyter_server_mathjax.__file__).parent / "static"

    def answer(route):
        path = route.request.url[len(MATHJAX_CDN):].split("?", 1)[0]
        path = {"latest.js": "MathJax.js"}.get(path, path)
        if path.startswith("config/") and not (static / path).is_file():
            path = "config/TeX-AMS-MML_HTMLorMML-full.js"  # the combined configuration the package ships
        file = (static / path).resolve()
        if static in file.parents and file.is_file():
            route.fulfill(path=str(file), content_type="application/javascript" if path.endswith(".js") else None)
        else:
            route.fulfill(status=404)

    page.route(f"{MATHJAX_CDN}**", answer)


def open_menu_item(page, menu, command):
    """Choose a JupyterLab menu's item by its command id (e.g. "Nbgrader", "nbgrader:open-assignment-list")."""
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(f'.lm-Menu li[data-command="{command}"]').click()


def log_in_to_hub(browser, base, name, workspace=""):
    """A browser of `name`'s own, logged in through the hub's demo form, on their JupyterLab at
    lab/workspaces/<workspace> (a fresh one when not given: its Launcher shows)."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/hub/login")
    page.locator("#username_input").fill(name)
    page.locator("#password_input").fill("backprop-demo")
    page.locator("#login_submit").click()
    expect(page.locator("#jp-main-dock-panel")).to_be_visible()  # the hub started the server; Lab is up
    page.goto(f"{base}/user/{name}/lab/workspaces/{workspace or 'w' + secrets.token_hex(4)}")
    return page
