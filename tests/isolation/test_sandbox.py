"""What student code inside the sandbox can and cannot do."""

import os
import subprocess
import sys

import pytest

from autograder.isolation import sandbox

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_inside(code, **kwargs):
    command = sandbox.sandboxed([sys.executable, "-c", code], **kwargs)
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_numpy_and_the_course_package_work():
    result = run_inside("import numpy, course.check, course.data; print(numpy.ones(3).sum())")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3.0"


@pytest.mark.parametrize("path", [
    os.path.join(ROOT, "autograder", "reference", "backprop.py"),
    os.path.join(ROOT, "source", "03_backprop", "03_backprop.ipynb"),
    os.path.join(ROOT, "nbgrader_config.py"),
    "/root/.bash_history",
])
def test_instructor_files_are_invisible(path):
    result = run_inside(f"open({path!r}).read()")
    assert result.returncode != 0
    assert "FileNotFoundError" in result.stderr or "PermissionError" in result.stderr


def test_read_only_python_and_a_private_tmp(tmp_path):
    result = run_inside(f"open({sys.prefix + '/pwned'!r}, 'w')")
    assert result.returncode != 0 and ("Read-only" in result.stderr or "Permission" in result.stderr)
    scratch = f"/tmp/sandbox-scratch-{os.getpid()}"
    result = run_inside(f"open({scratch!r}, 'w').write('ok'); print(open({scratch!r}).read())")
    assert result.stdout.strip() == "ok"
    assert not os.path.exists(scratch), "the sandbox's /tmp must not be the host's"


def test_no_network():
    result = run_inside("import socket; socket.create_connection(('127.0.0.1', 22), timeout=2)")
    assert result.returncode != 0
    assert "Network is unreachable" in result.stderr or "ConnectionRefused" in result.stderr


def test_memory_limit():
    result = run_inside("x = bytearray(2 * 1024**3)", limits=sandbox.Limits(memory_bytes=1024**3))
    assert result.returncode != 0 and "MemoryError" in result.stderr


def test_process_limit_and_pid_namespace():
    code = ("import os, time\nn = 0\ntry:\n    for _ in range(500):\n        if os.fork() == 0:\n"
            "            time.sleep(5); os._exit(0)\n        n += 1\nexcept OSError:\n    pass\nprint(n)")
    result = run_inside(code, limits=sandbox.Limits(processes=20))
    assert result.returncode == 0, result.stderr
    assert 0 < int(result.stdout) < 20


def test_cpu_time_limit():
    result = run_inside("while True: pass", limits=sandbox.Limits(cpu_seconds=1))
    assert result.returncode != 0  # SIGXCPU


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid switch happens only when the grader runs as root")
def test_runs_as_an_unprivileged_uid_per_slot():
    uids = [run_inside("import os; print(os.getuid())", slot=slot).stdout.strip() for slot in (0, 3)]
    assert uids == [str(sandbox.FIRST_SANDBOX_UID), str(sandbox.FIRST_SANDBOX_UID + 3)]


@pytest.mark.skipif(os.geteuid() != 0, reason="per-slot uids exist only when the grader runs as root")
def test_the_availability_probe_works_while_slot_zero_is_busy():
    # Another grading run may hold many processes and threads as slot 0's uid; RLIMIT_NPROC counts
    # them all, so a probe sharing that uid would be refused (EAGAIN) and the run wrongly stopped.
    busy = sandbox.sandboxed([sys.executable, "-c", "import threading, time\n"
                              "for _ in range(40): threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
                              "print('busy', flush=True); time.sleep(30)"], slot=0)
    holder = subprocess.Popen(busy, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "busy"
        sandbox.check_available()
    finally:
        holder.kill()
        holder.wait()


def test_grader_refuses_without_bubblewrap(tmp_path):
    env = dict(os.environ, BACKPROP_BWRAP=str(tmp_path / "no-bwrap-here"), PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-m", "autograder", "--course-root", ROOT, "grade"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert "refusing to run student code without isolation" in result.stderr and "--unsafe" in result.stderr


def test_the_grader_environment_does_not_reach_student_code(monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "s3cret-of-the-instructor")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "hub-token-123")
    result = run_inside("import os; print(sorted(os.environ.items()))")
    assert result.returncode == 0, result.stderr
    assert "s3cret-of-the-instructor" not in result.stdout and "hub-token-123" not in result.stdout
    names = {name for name, _ in eval(result.stdout)} - {"PWD"}  # set by the shell that mounts /tmp
    assert names <= set(sandbox.clean_environment()), names - set(sandbox.clean_environment())
    # The namespace's init is bwrap, started with the environment sandboxed() handed it: clean too.
    result = run_inside("print(open('/proc/1/environ', 'rb').read())")
    assert "s3cret-of-the-instructor" not in result.stdout + result.stderr


def test_file_size_limit():
    code = ("import os\ntry:\n    with open('/tmp/big', 'wb') as f:\n        f.write(bytes(2 * 1024**2))\n"
            "except OSError as error:\n    print('stopped', error.errno)\nprint(os.path.getsize('/tmp/big'))")
    result = run_inside(code, limits=sandbox.Limits(file_bytes=1024**2))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["stopped", "27", str(1024**2)]  # EFBIG


@pytest.mark.skipif(os.geteuid() != 0, reason="the bounded tmpfs is mounted only when the grader runs as root")
def test_tmp_is_bounded_across_files():
    code = ("written = 0\ntry:\n    for i in range(64):\n        with open(f'/tmp/part{i}', 'wb') as f:\n"
            "            f.write(bytes(1024**2)); written += 1\nexcept OSError as error:\n"
            "    print('stopped', error.errno)\nprint(written)")
    result = run_inside(code, limits=sandbox.Limits(tmp_bytes=8 * 1024**2))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["stopped", "28"]  # ENOSPC
    assert 6 <= int(result.stdout.split()[2]) <= 8


def test_the_sandbox_binds_the_course_package_its_kernels_import(tmp_path):
    """A grader run from another checkout (its own autograder/ and course/ first on PYTHONPATH)
    while the venv's install names this one: the kernel, started with a clean environment in the
    sandbox's /tmp, imports the venv's `course`, so that is the one to bind."""
    import shutil

    checkout = tmp_path / "checkout"
    for package in ("autograder", "course"):
        shutil.copytree(os.path.join(ROOT, package), checkout / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    kernel_imports = subprocess.run([sys.executable, "-c", "import course; print(course.__file__)"], cwd="/",
                                    env=sandbox.clean_environment(), capture_output=True, text=True, timeout=60)
    assert kernel_imports.returncode == 0, kernel_imports.stderr
    assert not kernel_imports.stdout.startswith(str(checkout)), "the venv must not name the copy"
    as_a_kernel = ("import subprocess, sys\nfrom autograder.isolation import sandbox\n"
                   "command = sandbox.sandboxed([sys.executable, '-c', 'import course; print(course.__file__)'], "
                   "workdir='/tmp')\n"
                   "result = subprocess.run(command, capture_output=True, text=True, timeout=60)\n"
                   "print(result.stdout.strip() or result.stderr.strip().splitlines()[-1])")
    result = subprocess.run([sys.executable, "-c", as_a_kernel], cwd=checkout, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(checkout)), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == kernel_imports.stdout.strip()
