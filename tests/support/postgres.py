"""A throw-away PostgreSQL cluster for the tests: Debian's postgresql, initdb and pg_ctl run as an
unprivileged user (PostgreSQL refuses root), listening on a private socket folder only (no TCP
port), stopped and removed afterwards. `make postgres-tools` installs the package when missing."""

import glob
import os
import shutil
import subprocess
import tempfile

UNPRIVILEGED = 65534  # nobody: the server's files and process belong to it when the tests run as root


def server_binaries():
    """The newest Debian PostgreSQL's bin/ folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def postgres_missing():
    if server_binaries() is None:
        return ("PostgreSQL not found under /usr/lib/postgresql: install Debian's postgresql package "
                "(`make postgres-tools`, or apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401  (postgresql://)
        import psycopg2  # noqa: F401  (postgresql+psycopg2://)
    except ImportError as error:
        return f"the {error.name} driver is not installed (requirements.txt pins psycopg[binary] and psycopg2-binary)"
    return None


class PostgresCluster:
    def __init__(self):
        self.bin = server_binaries()
        self.base = tempfile.mkdtemp(prefix="backprop-pg-")  # short: a socket path must stay under 107 bytes
        self.data, self.sockets = os.path.join(self.base, "data"), os.path.join(self.base, "s")
        self.as_user = []
        os.mkdir(self.sockets)
        if os.geteuid() == 0:
            for path in (self.base, self.sockets):
                os.chown(path, UNPRIVILEGED, UNPRIVILEGED)
            self.as_user = ["setpriv", f"--reuid={UNPRIVILEGED}", f"--regid={UNPRIVILEGED}", "--clear-groups"]

    def _run(self, *command):
        result = subprocess.run([*self.as_user, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self):
        self._run(f"{self.bin}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        options = f"-k {self.sockets} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.base, "log"),
                  "-w", "start")
        return self

    def create_database(self, name):
        """A new, empty database; returns its SQLAlchemy URL."""
        import psycopg2

        connection = psycopg2.connect(dbname="postgres", user="postgres", host=self.sockets)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return f"postgresql+psycopg2://postgres@/{name}?host={self.sockets}"

    def stop(self):
        try:
            self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
