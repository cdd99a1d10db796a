"""Start and stop a local Eclipse Mosquitto broker for demos and tests.

The broker listens on one loopback port with a config written to a temporary
folder: persistence on (so persistent sessions and their queued QoS 1
messages survive a restart), no limit on in-flight or queued messages (the
monitor acknowledges in batches, after the data is stored), anonymous access
on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from kiwerk.errors import ConfigError, KiwerkError

_CONFIG = """\
user {user}
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {folder}/
autosave_interval 1
max_inflight_messages 0
max_queued_messages 0
max_queued_bytes 0
log_dest file {folder}/mosquitto.log
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class LocalBroker:
    """A mosquitto process on ``127.0.0.1:port`` with its state in ``folder``.

    Parameters
    ----------
    folder
        Where the config, the persistence file and the log go.
    port
        The port; a free one when omitted. A restart keeps the same port.
    """

    def __init__(self, folder: Path, port: int | None = None) -> None:
        exe = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        if exe is None:
            raise ConfigError(
                "mosquitto is not installed; run scripts/system-packages "
                "(Debian package 'mosquitto')"
            )
        self.exe = exe
        self.folder = folder
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "mosquitto.conf"
        # run as the calling user: mosquitto started as root would switch to the
        # 'mosquitto' user, which cannot write the persistence file here
        user = pwd.getpwuid(os.getuid()).pw_name
        self.config.write_text(_CONFIG.format(port=self.port, folder=folder, user=user))

    def start(self, timeout: float = 10.0) -> LocalBroker:
        """Start the broker and wait until it accepts connections."""
        self.proc = subprocess.Popen(
            [self.exe, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not _listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.folder / "mosquitto.log").read_text(errors="replace")[-500:]
                raise KiwerkError(f"mosquitto did not start on {self.port}: {log}")
            time.sleep(0.05)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the broker with ``sig`` (SIGTERM saves its persistence file)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)  # it saves its persistence file first
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        """Stop and start again on the same port with the same state."""
        self.stop()
        self.start()

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["LocalBroker", "free_port"]
