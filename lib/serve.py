"""One deployment from several app processes behind nginx: `python -m lib serve --processes N`.

Why several processes: a Streamlit server runs every session's script in threads of one Python process, so one
process uses about one core however many colleagues wait. N processes (one per core) behind a reverse proxy use N
cores. They all open the model sets under the same MODELS_DIR, whose large arrays are memory-mapped read-only, so
the operating system keeps one copy of each file in its page cache and every process maps that copy.

Why sticky routing: Streamlit keeps a session (its state, uploaded files, files offered for download) inside the
process whose websocket (`/_stcore/stream`) opened it. The browser's later HTTP requests for that session
(`/_stcore/upload_file/...`, `/media/...`) must reach the same process, and so must its websocket when it
reconnects. Open-source nginx offers `ip_hash` / `hash $remote_addr`, which sends everyone behind one address (a
lab behind NAT, a department proxy, every load-test client on 127.0.0.1) to one process, and a sticky cookie only in
its commercial edition. So the proxy hashes a cookie of its own: a browser that has none gets `topic_search_route`
set to the request's random `$request_id`, and the very request that sets it is already routed by that same value,
so from the first response on each browser (not each address) stays with one process, and browsers spread evenly.
`hash ... consistent` keeps most browsers where they were when a process is down (nginx tries the next one).

The proxy (configuration written by `nginx_config`):

- listens on one address and port, 127.0.0.1 unless told otherwise; the app processes listen on 127.0.0.1 only;
- passes websocket upgrades (`Upgrade` / `Connection` headers, HTTP/1.1), keeps idle websockets open for an hour
  (Streamlit pings every 30 s anyway), and passes `Host` unchanged, since Streamlit accepts a websocket only when
  its `Origin` matches the `Host` it sees;
- can require a password (HTTP basic auth; the password file holds SHA-512 crypt hashes, `$6$`, which nginx checks
  with the system's crypt(); the plain password is never written) and can admit only some addresses (`allow`
  lists, everyone else gets 403); with both, a request needs both;
- names the process that answered in an `X-Upstream` header (1..N), for tests and for finding a process's log.

`serve` runs it all as an ordinary user: nginx's pid file, temporary folders and logs live in a runtime folder the
command owns (a fresh temporary folder unless --runtime-dir is given), the app processes start first and nginx
once every one answers its health check, and SIGINT, SIGTERM or SIGHUP stop nginx and then every app process.
Nothing here imports Streamlit: the app processes are `python -m streamlit run app.py`.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lib.settings import REPOSITORY, SERVE_PASSWORD_ENV, current_settings
from lib.warmup import WARM_FLAGS, warm_up

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_USER = "lab"
# The environment variable `serve --user NAME` takes the password from (never a command-line argument: others
# on the machine can read those in `ps`); lib/settings.py lists every variable the project reads.
PASSWORD_ENV = SERVE_PASSWORD_ENV
ROUTE_COOKIE = "topic_search_route"
UPSTREAM_HEADER = "X-Upstream"
REALM = "arXiv topic search"
# SHA-512 crypt's own default. nginx hashes the password again on every request it checks (every file of a page
# load), in its event loop; 5,000 rounds take milliseconds there, many more would slow every page for everyone.
SHA512_ROUNDS = 5000
CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Where Debian and most other systems put nginx: /usr/sbin is often not on an ordinary user's PATH.
NGINX_PLACES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx", "/opt/homebrew/bin/nginx")
INSTALL_NGINX = "install it with `sudo apt-get install nginx` (Debian, Ubuntu) or your system's package manager"
# Idle websockets stay open this long; Streamlit's pings every 30 s keep a live session from ever reaching it.
STREAM_TIMEOUT = "1h"
# Interest files are at most 256 KB (lib/interests.py); the app takes no other uploads.
MAX_UPLOAD = "2m"
# Characters a path may hold in the nginx configuration without quoting or being read as a variable.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9._/+@%,=:-]+")
_USER_NAME = re.compile(r"[A-Za-z0-9._@+-]{1,64}")


class ServeError(ValueError):
    """A deployment that cannot start as asked; the message is one line that says what to do."""


# --- passwords -------------------------------------------------------------------------------------------------


def _crypt_base64(data: bytes, order: Sequence[int]) -> str:
    """crypt()'s own base-64: the bytes in `order`, three at a time, each group written low 6 bits first."""
    out = []
    for start in range(0, len(order), 3):
        group = [data[index] for index in order[start : start + 3]]
        value = 0
        for byte in group:
            value = (value << 8) | byte
        for _ in range(len(group) + 1):
            out.append(CRYPT_ALPHABET[value & 0x3F])
            value >>= 6
    return "".join(out)


def _sha512_crypt_order() -> list[int]:
    """The order in which SHA-512 crypt writes the 64 digest bytes: (0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24,
    45), ...: byte k with bytes k + 21 and k + 42, the triple turned left by k mod 3; then the last byte alone."""
    order: list[int] = []
    for k in range(21):
        triple = (k, k + 21, k + 42)
        order.extend(triple[k % 3 :] + triple[: k % 3])
    return order + [63]


def _repeated(digest: bytes, length: int) -> bytes:
    """`digest` repeated and cut to `length` bytes."""
    return (digest * (length // len(digest) + 1))[:length]


def sha512_crypt(password: str, salt: str | None = None, rounds: int = SHA512_ROUNDS) -> str:
    """The SHA-512 crypt hash (`$6$...`) of a password, as glibc's and libxcrypt's crypt() compute it.

    Written with hashlib because Python's `crypt` module is deprecated and gone in 3.13. nginx hands `$6$`
    hashes to the system's crypt(), so any Linux nginx accepts them. A random 16-character salt when none is given.
    """
    if salt is None:
        salt = "".join(secrets.choice(CRYPT_ALPHABET) for _ in range(16))
    if not salt or any(char not in CRYPT_ALPHABET for char in salt):
        raise ServeError(f"a SHA-512 crypt salt is made of the characters {CRYPT_ALPHABET} (16 at most are used), got {salt!r}")
    if not 1000 <= rounds <= 999_999_999:
        raise ServeError(f"SHA-512 crypt rounds must be between 1,000 and 999,999,999, got {rounds}")
    key, salt_bytes = password.encode("utf-8"), salt.encode("ascii")[:16]
    alternate = hashlib.sha512(key + salt_bytes + key).digest()
    first = hashlib.sha512(key + salt_bytes + _repeated(alternate, len(key)))
    length = len(key)
    while length:
        first.update(alternate if length & 1 else key)
        length >>= 1
    digest = first.digest()
    key_sequence = _repeated(hashlib.sha512(key * len(key)).digest(), len(key))
    salt_sequence = _repeated(hashlib.sha512(salt_bytes * (16 + digest[0])).digest(), len(salt_bytes))
    for round_number in range(rounds):
        step = hashlib.sha512(key_sequence if round_number & 1 else digest)
        if round_number % 3:
            step.update(salt_sequence)
        if round_number % 7:
            step.update(key_sequence)
        step.update(digest if round_number & 1 else key_sequence)
        digest = step.digest()
    prefix = "$6$" if rounds == SHA512_ROUNDS else f"$6$rounds={rounds}$"
    return f"{prefix}{salt_bytes.decode('ascii')}${_crypt_base64(digest, _sha512_crypt_order())}"


def check_user_name(name: str) -> str:
    """A user name the password file can hold (no `:`, spaces or line breaks), or ServeError."""
    if not _USER_NAME.fullmatch(name):
        raise ServeError(f"user name {name!r} is not allowed: use 1 to 64 letters, digits and . _ @ + -")
    return name


def htpasswd_line(user: str, password: str) -> str:
    """One line of an nginx password file: the user and the salted SHA-512 crypt hash of the password."""
    if not password:
        raise ServeError("the password is empty: give a non-empty password")
    if "\n" in password or "\r" in password:
        raise ServeError("the password holds a line break: give it on one line")
    return f"{check_user_name(user)}:{sha512_crypt(password)}\n"


def read_password_file(path: Path) -> str:
    """The password in the first line of a file (its line break removed), or ServeError saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ServeError(f"cannot read the password file {path}: {exc}") from None
    password = text.splitlines()[0] if text.splitlines() else ""
    if not password:
        raise ServeError(f"the password file {path} is empty: write the password on its first line")
    return password


def read_htpasswd(path: Path) -> str:
    """An existing password file (`user:hash` lines, e.g. from Apache's `htpasswd`) checked for shape, as text.

    A line with a plain password (`{PLAIN}` or no hash scheme nginx knows) is refused: nginx would accept it, but
    anyone who reads the file could log in.
    """
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise ServeError(f"cannot read the password file {path}: {exc}") from None
    entries = [line for line in lines if line and not line.startswith("#")]
    if not entries:
        raise ServeError(f"the password file {path} lists no user: add one with `htpasswd -B {path} NAME`")
    for number, line in enumerate(entries, 1):
        user, _, hashed = line.partition(":")
        if not user or not hashed or not hashed.startswith(("$", "{SSHA}", "{SHA}")):
            raise ServeError(f"{path}: entry {number} is not `user:hash` with a hash nginx checks ($6$, $5$, $apr1$, $2y$, {{SSHA}})")
    return "\n".join(entries) + "\n"


def credentials(
    user: str | None,
    password_file: Path | None,
    htpasswd: Path | None,
    environ: Mapping[str, str],
    ask: Callable[[str], str] | None = None,
) -> str | None:
    """The password file's text for the options given, or None when no password is asked for.

    --htpasswd: an existing file. --password-file: its first line is the password of --user (default "lab").
    --user alone: the password from $SERVE_PASSWORD, else typed at the terminal (`ask`, when given).
    """
    if htpasswd is not None:
        if user is not None or password_file is not None:
            raise ServeError("--htpasswd lists its own users: give it without --user and --password-file")
        return read_htpasswd(htpasswd)
    if user is None and password_file is None:
        return None
    name = check_user_name(user or DEFAULT_USER)
    if password_file is not None:
        password = read_password_file(password_file)
    elif environ.get(PASSWORD_ENV):
        password = environ[PASSWORD_ENV]
    elif ask is not None:
        password = ask(f"password for {name}: ")
    else:
        raise ServeError(f"--user {name} needs a password: set ${PASSWORD_ENV} or give --password-file FILE")
    return htpasswd_line(name, password)


# --- the nginx configuration ---------------------------------------------------------------------------------------


def check_address(value: str) -> str:
    """An IP address to listen on (127.0.0.1, 0.0.0.0, ::1, ::, a LAN address) in its plain form, or ServeError."""
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        raise ServeError(f"--address {value!r} is not an IP address: give one such as 127.0.0.1, 0.0.0.0 or ::") from None


def check_allow(value: str) -> str:
    """An address or network (`192.168.1.0/24`, `10.1.2.3`, `::1`) for an allow list, or ServeError."""
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ServeError(f"--allow {value!r} is not an address or network: give one such as 192.168.1.0/24 or 10.1.2.3") from None


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8 and ::1: only this machine can connect."""
    return ipaddress.ip_address(address).is_loopback


def listen_target(address: str, port: int) -> str:
    """nginx's `listen` argument: IPv6 addresses in brackets."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def nginx_path(path: Path) -> str:
    """An absolute path as nginx reads it, or ServeError for a path nginx would read as more than a path."""
    text = str(path.resolve())
    if not _PLAIN_PATH.fullmatch(text):
        raise ServeError(f"the path {text} holds spaces or characters nginx treats as syntax: choose a plainer folder")
    return text


@dataclass(frozen=True)
class ProxyConfig:
    """What the nginx configuration says: where it listens, the app processes' ports, who may come in."""

    upstream_ports: tuple[int, ...]
    runtime: Path
    address: str = DEFAULT_ADDRESS
    port: int = DEFAULT_PORT
    htpasswd: Path | None = None
    allow: tuple[str, ...] = ()
    # (user, group) nginx's workers switch to; only when nginx starts as root, which otherwise refuses to drop it.
    worker_account: tuple[str, str] | None = None


def nginx_config(config: ProxyConfig) -> str:
    """The nginx configuration for a deployment: one `http` server proxying to N app processes on 127.0.0.1."""
    if not config.upstream_ports:
        raise ServeError("no app process to proxy to: give --processes 1 or more")
    runtime = nginx_path(config.runtime)
    address = check_address(config.address)
    allow = [check_allow(entry) for entry in config.allow]
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in config.upstream_ports)
    names = "\n".join(f'        "127.0.0.1:{port}" {number};' for number, port in enumerate(config.upstream_ports, 1))
    account = f"user {config.worker_account[0]} {config.worker_account[1]};\n" if config.worker_account else ""
    access = "".join(f"        allow {entry};\n" for entry in allow) + ("        deny all;\n" if allow else "")
    auth = ""
    if config.htpasswd is not None:
        auth = f'        auth_basic "{REALM}";\n        auth_basic_user_file {nginx_path(config.htpasswd)};\n'
    return f"""# Written by `python -m lib serve` (lib/serve.py), which starts nginx with it; edits are overwritten.
{account}worker_processes auto;
pid {runtime}/nginx.pid;
error_log stderr warn;

events {{
    worker_connections 4096;  # an open session holds two: browser to nginx, nginx to its app process
}}

http {{
    # The usual "combined" format and which process answered (a websocket is logged when it closes, status 101).
    log_format with_process '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                            '"$http_referer" "$http_user_agent" process=$upstream_number time=$request_time';
    access_log {runtime}/access.log with_process;
    client_body_temp_path {runtime}/tmp/body;
    proxy_temp_path {runtime}/tmp/proxy;
    fastcgi_temp_path {runtime}/tmp/fastcgi;
    uwsgi_temp_path {runtime}/tmp/uwsgi;
    scgi_temp_path {runtime}/tmp/scgi;
    server_tokens off;
    default_type application/octet-stream;

    # Sticky routing by a cookie of the proxy's own: a browser without one is routed by the request's random id,
    # which the response then sets as its cookie, so it stays with the same process from its first request on.
    map $cookie_{ROUTE_COOKIE} $route_key {{
        "" $request_id;
        default $cookie_{ROUTE_COOKIE};
    }}
    map $cookie_{ROUTE_COOKIE} $route_cookie {{
        "" "{ROUTE_COOKIE}=$request_id; Path=/; HttpOnly; SameSite=Lax";
        default "";
    }}
    # Websocket upgrades pass through; other requests may reuse kept-alive connections to the app processes.
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" "";
    }}
    # Which process answered, by number (1..N), not by its port.
    map $upstream_addr $upstream_number {{
{names}
        default "";
    }}

    upstream streamlit_apps {{
        hash $route_key consistent;
{servers}
        keepalive 16;
    }}

    server {{
        listen {listen_target(address, config.port)};
{access}{auth}        client_max_body_size {MAX_UPLOAD};
        add_header Set-Cookie $route_cookie;
        add_header {UPSTREAM_HEADER} $upstream_number always;

        proxy_http_version 1.1;
        proxy_set_header Host $http_host;  # Streamlit accepts a websocket whose Origin matches this Host
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Authorization "";  # the password is the proxy's business, not the app's
        proxy_connect_timeout 5s;

        location / {{
            proxy_pass http://streamlit_apps;
        }}

        # Runs the app once (lib/warmup.py): for this command on 127.0.0.1, not for anyone through the proxy.
        location = /_stcore/script-health-check {{
            return 404;
        }}

        # A session's websocket: open as long as the browser tab is, messages passed on at once.
        location /_stcore/stream {{
            proxy_pass http://streamlit_apps;
            proxy_read_timeout {STREAM_TIMEOUT};
            proxy_send_timeout {STREAM_TIMEOUT};
            proxy_buffering off;
        }}
    }}
}}
"""


# --- running it ----------------------------------------------------------------------------------------------------


def find_nginx(places: Sequence[str] | None = None) -> str:
    """The nginx executable: on PATH or in the usual sbin folders (NGINX_PLACES); ServeError saying how to install it
    otherwise."""
    places = NGINX_PLACES if places is None else places
    found = shutil.which("nginx") or next((place for place in places if os.access(place, os.X_OK)), None)
    if found is None:
        raise ServeError(f"nginx is not installed: {INSTALL_NGINX}")
    return found


def check_port_free(address: str, port: int) -> None:
    """ServeError when something already listens on address:port (or it cannot be used)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as exc:
            raise ServeError(
                f"cannot listen on {listen_target(address, port)} ({exc.strerror}): choose another --port or --address"
            ) from None


def free_ports(count: int, avoid: int) -> tuple[int, ...]:
    """`count` distinct TCP ports on 127.0.0.1 nothing listens on now (never `avoid`), for the app processes."""
    held: list[socket.socket] = []
    try:
        while len(held) < count:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            if sock.getsockname()[1] == avoid:
                sock.close()
                continue
            held.append(sock)
        return tuple(sock.getsockname()[1] for sock in held)
    finally:
        for sock in held:
            sock.close()


def worker_account() -> tuple[str, str] | None:
    """The unprivileged account nginx's workers use when this runs as root (None otherwise: they stay this user)."""
    if os.geteuid() != 0:
        return None
    import grp
    import pwd

    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        raise ServeError("running as root, nginx's workers need the account 'nobody': create it or run as an ordinary user") from None


@dataclass(frozen=True)
class ServeOptions:
    """What `python -m lib serve` was asked for."""

    processes: int
    port: int = DEFAULT_PORT
    address: str = DEFAULT_ADDRESS
    htpasswd_text: str | None = None  # the password file's lines (hashes only), None for no password
    allow: tuple[str, ...] = ()
    runtime_dir: Path | None = None  # None: a fresh temporary folder, removed at a clean stop
    models_dir: Path | None = None  # None: $MODELS_DIR or models/
    startup_timeout: float = 180.0


@dataclass
class Child:
    """One process the deployment started, with the log its output goes to."""

    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, lines: int = 8) -> str:
        """The last lines of its log, indented, for an error message."""
        with contextlib.suppress(OSError):
            text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            return "\n".join("    " + line for line in text)
        return ""


@dataclass
class Deployment:
    """A running deployment: its runtime folder, the app processes and nginx."""

    runtime: Path
    url: str
    upstream_ports: tuple[int, ...]
    children: list[Child] = field(default_factory=list)


def prepare_runtime(options: ServeOptions, account: tuple[str, str] | None) -> tuple[Path, bool]:
    """The runtime folder (made if needed) and whether this command made it (then it removes it at a clean stop)."""
    if options.runtime_dir is None:
        runtime, owned = Path(tempfile.mkdtemp(prefix="topic-search-serve-")), True
    else:
        runtime, owned = options.runtime_dir.resolve(), False
        runtime.mkdir(parents=True, exist_ok=True)
    nginx_path(runtime)
    if account is not None:
        # nginx starts as root and its workers read the password file as `nobody`: they must reach the folder.
        runtime.chmod(0o711)
        for parent in runtime.parents:
            if not parent.stat().st_mode & 0o001:
                raise ServeError(f"nginx's workers (user nobody) cannot enter {parent}: choose a --runtime-dir under /tmp")
    (runtime / "tmp").mkdir(exist_ok=True)
    return runtime, owned


def write_htpasswd(runtime: Path, text: str, account: tuple[str, str] | None) -> Path:
    """The password file in the runtime folder, readable only by nginx's workers."""
    import pwd

    path = runtime / "htpasswd"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    if account is not None:
        entry = pwd.getpwnam(account[0])
        os.chown(path, entry.pw_uid, entry.pw_gid)
        path.chmod(0o400)
    return path


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if this command dies without stopping it (say, by kill -9)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start(name: str, args: list[str], log: Path, env: Mapping[str, str] | None = None) -> Child:
    """Start a child in its own session (a terminal's Ctrl-C reaches this command, which stops them in order)."""
    with open(log, "ab") as out:
        process = subprocess.Popen(
            args,
            cwd=REPOSITORY,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    return Child(name, process, log)


def app_environment(models_dir: Path) -> dict[str, str]:
    """The app processes' environment: the same model sets and cookie secret for all, no password."""
    env = {key: value for key, value in os.environ.items() if key != PASSWORD_ENV}
    env["MODELS_DIR"] = str(models_dir)
    # Cookies one process signs are then good in another, should a browser be moved (a process stopped, say).
    env["STREAMLIT_SERVER_COOKIE_SECRET"] = secrets.token_hex(32)
    # glibc gives each thread that allocates its own memory arena; a process serving fifty sessions' threads kept
    # 160 MB more resident this way (2 processes, 50 sessions for 5 minutes: peak 1,464 MB, 1,143 MB with 2 arenas, as
    # many queries a second). A value the user set is kept.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    return env


def app_command(port: int) -> list[str]:
    """One app process: Streamlit on 127.0.0.1 only, reachable through the proxy alone."""
    args = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1"]
    return args + ["--server.headless", "true", "--browser.gatherUsageStats", "false", *WARM_FLAGS]


def nginx_command(nginx: str, runtime: Path, conf: Path, *, test: bool = False) -> list[str]:
    """nginx in the foreground with the generated configuration (`-t`: only check it)."""
    return [nginx, "-p", f"{runtime}/", "-c", str(conf), *(["-t", "-q"] if test else ["-g", "daemon off;"])]


def check_config(nginx: str, runtime: Path, conf: Path) -> None:
    """`nginx -t` on the configuration; ServeError with nginx's own words when it refuses it."""
    result = subprocess.run(nginx_command(nginx, runtime, conf, test=True), capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        said = " ".join((result.stderr or result.stdout).split())
        raise ServeError(f"nginx refuses the configuration {conf}: {said}")


def answers(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of a GET, None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def wait_until(ready: Callable[[], bool], children: Sequence[Child], seconds: float, what: str) -> None:
    """Poll `ready` until it holds; ServeError when a child stops meanwhile or time runs out."""
    deadline = time.monotonic() + seconds
    while not ready():
        for child in children:
            if child.process.poll() is not None:
                raise ServeError(
                    f"{child.name} stopped (exit code {child.process.returncode}) before {what}; its log {child.log}:\n{child.tail()}"
                )
        if time.monotonic() > deadline:
            raise ServeError(f"no {what} after {seconds:.0f} s; the logs are in {children[0].log.parent}")
        time.sleep(0.3)


def local_url(address: str, port: int) -> str:
    """The address to reach the proxy at from this machine (a wildcard address is reached on loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)
    return "http://" + listen_target(host, port)


def launch(deployment: Deployment, options: ServeOptions, nginx: str, conf: Path, log: Callable[[str], None]) -> None:
    """Start the app processes, wait until each answers its health check, then start nginx and wait for it.

    Every child is added to `deployment.children` as soon as it starts, so that the caller can stop all of them
    whatever happens here (a process that fails, a timeout, Ctrl-C during the start).
    """
    models = (options.models_dir or current_settings().models_dir).resolve()
    if not any(models.glob("*/manifest.json")):
        log(f"warning: no model set under {models}: the app will say so; build one (`make demo-model`) or set MODELS_DIR")
    env = app_environment(models)
    ports, runtime = deployment.upstream_ports, deployment.runtime
    for number, port in enumerate(ports, 1):
        deployment.children.append(start(f"app process {number}", app_command(port), runtime / f"app-{number}.log", env))
    log(f"started {len(ports)} app process(es) on 127.0.0.1 port(s) {', '.join(map(str, ports))}; model sets: {models}")
    apps = list(deployment.children)

    def all_healthy() -> bool:
        return all(answers(f"http://127.0.0.1:{port}/_stcore/health") == 200 for port in ports)

    wait_until(all_healthy, apps, options.startup_timeout, "health check of every app process")
    deployment.children.append(start("nginx", nginx_command(nginx, runtime, conf), runtime / "nginx.log"))
    # Any HTTP answer will do: 401 without a password, 403 when 127.0.0.1 is not on the allow list.
    wait_until(lambda: answers(deployment.url + "/_stcore/health") is not None, deployment.children, 30, "answer from nginx")
    # Each process imports the model code and opens the default set now, not for its first reader (lib/warmup.py).
    for number, port in enumerate(ports, 1):
        threading.Thread(target=_warm, args=(number, port, log), daemon=True).start()


def _warm(number: int, port: int, log: Callable[[str], None]) -> None:
    start_time = time.monotonic()
    ok, said = warm_up(f"http://127.0.0.1:{port}")
    log(f"app process {number} {'warmed' if ok else 'not warmed'} in {time.monotonic() - start_time:.1f} s: {said}")


def stop_child(child: Child, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within `grace` seconds."""
    if child.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.process.terminate()
        try:
            child.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait(timeout=10)


def stop_deployment(deployment: Deployment) -> None:
    """Stop nginx first (no new requests reach a stopping app), then every app process."""
    for child in sorted(deployment.children, key=lambda child: child.name != "nginx"):
        stop_child(child)


@contextlib.contextmanager
def _signal_handlers(handler: Callable[[int, object], object] | int) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP handled by `handler` inside the block, as before after it."""
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def describe(options: ServeOptions, url: str) -> str:
    """The line that says where the deployment is and who may use it."""
    address = check_address(options.address)
    who = []
    if options.htpasswd_text:
        users = [line.split(":", 1)[0] for line in options.htpasswd_text.splitlines() if line]
        who.append("password required (user " + ", ".join(users) + ")")
    if options.allow:
        who.append("only from " + ", ".join(options.allow))
    if not who:
        who.append("no password" + ("; only this machine can connect" if is_loopback(address) else ""))
    where = url if address not in ("0.0.0.0", "::") else f"http://{socket.gethostname()}:{options.port} (all interfaces)"
    count = f"{options.processes} app process" + ("es" if options.processes > 1 else "")
    return f"serving {count} at {where}/ ({'; '.join(who)})"


def serve(options: ServeOptions, log: Callable[[str], None]) -> int:
    """Run a deployment until SIGINT, SIGTERM or SIGHUP (then exit code 0); ServeError when it cannot start or a
    process stops by itself (every other process is stopped first, and the logs are kept)."""
    if options.processes < 1:
        raise ServeError("--processes must be 1 or more")
    address = check_address(options.address)
    allow = tuple(check_allow(entry) for entry in options.allow)
    if not is_loopback(address) and not options.htpasswd_text and not allow:
        log(f"warning: listening on {address} with neither a password nor --allow: anyone who reaches this machine can use the app")
    nginx = find_nginx()
    check_port_free(address, options.port)
    account = worker_account()
    runtime, owned = prepare_runtime(options, account)
    ports = free_ports(options.processes, options.port)
    htpasswd = write_htpasswd(runtime, options.htpasswd_text, account) if options.htpasswd_text else None
    conf = runtime / "nginx.conf"
    conf.write_text(nginx_config(ProxyConfig(ports, runtime, address, options.port, htpasswd, allow, account)), encoding="utf-8")
    check_config(nginx, runtime, conf)
    deployment = Deployment(runtime, local_url(address, options.port), ports)
    log(f"configuration and logs: {runtime}")
    failed = True
    with _signal_handlers(_interrupt):
        try:
            launch(deployment, options, nginx, conf, log)
            print(describe(options, deployment.url) + "; Ctrl-C stops it", flush=True)
            while True:
                for child in deployment.children:
                    if child.process.poll() is not None:
                        code = child.process.returncode
                        raise ServeError(f"{child.name} stopped by itself (exit code {code}); its log {child.log}:\n{child.tail()}")
                time.sleep(0.5)
        except KeyboardInterrupt:
            failed = False
        finally:
            with _signal_handlers(signal.SIG_IGN):  # a second Ctrl-C does not cut the stopping short
                log("stopping nginx and the app processes")
                stop_deployment(deployment)
                if failed:
                    log(f"the configuration and logs are kept in {runtime}")
                elif owned:
                    shutil.rmtree(runtime, ignore_errors=True)
    log("stopped")
    return 0


def ask_password(prompt: str) -> str:
    """Read a password at the terminal, twice; ServeError when there is no terminal or the two differ."""
    if not sys.stdin.isatty():
        raise ServeError(f"--user needs a password: set ${PASSWORD_ENV} or give --password-file FILE")
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise ServeError("the two passwords differ: start again")
    return first


def auth_header(user: str, password: str) -> str:
    """The Authorization header value for HTTP basic auth (for clients of the proxy: tests, the load test)."""
    return "Basic " + b64encode(f"{user}:{password}".encode()).decode("ascii")
