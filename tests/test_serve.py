"""`python -m lib serve`: the nginx configuration and password file it writes, and a real deployment of two app
processes behind a real nginx (password, sticky routing, websockets, allow lists, a clean stop).

The parts that need nginx skip where it is not installed (`.ci/run` and `make test` install it as root).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from lib import serve
from lib.cli import parser
from lib.serve import ProxyConfig, ServeError, ServeOptions, auth_header, nginx_config
from tests.conftest import PYTHON, ROOT, free_port

USER, PASSWORD = "lab", "correct horse battery"


def nginx_or_skip() -> str:
    """The nginx executable, or skip the test saying how to get it."""
    try:
        return serve.find_nginx()
    except ServeError:
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run and make test install it)")


def fetch(url: str, password: str | None = None, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    """GET a URL: status, headers (names in lower case) and body; an HTTP error status is an answer too."""
    request = urllib.request.Request(url)
    if password is not None:
        request.add_header("Authorization", auth_header(USER, password))
    if cookie is not None:
        request.add_header("Cookie", f"{serve.ROUTE_COOKIE}={cookie}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode("utf-8", "replace")


# --- passwords ---------------------------------------------------------------------------------------------------


def test_sha512_crypt_matches_the_system_crypt() -> None:
    # The published example of the SHA-crypt description, as `openssl passwd -6 -salt saltstring` also gives it.
    expected = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
    assert serve.sha512_crypt("Hello world!", "saltstring") == expected
    cases = [("", "abc", 5000), ("x" * 200, "saltsaltsaltsalt", 5000), ("pässwörd", "Zz./09", 1000), ("a" * 64, "s", 10_000)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        crypt = pytest.importorskip("crypt", reason="Python's crypt module (gone in 3.13) checks the other cases")
    for password, salt, rounds in cases:
        setting = f"$6${salt}" if rounds == serve.SHA512_ROUNDS else f"$6$rounds={rounds}${salt}"
        assert serve.sha512_crypt(password, salt, rounds) == crypt.crypt(password, setting), (password, salt, rounds)


def test_password_lines_hold_a_salted_hash_never_the_password() -> None:
    first, second = serve.htpasswd_line(USER, PASSWORD), serve.htpasswd_line(USER, PASSWORD)
    assert re.fullmatch(r"lab:\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}\n", first)
    assert first != second, "every line has its own random salt"
    assert PASSWORD not in first and "horse" not in first
    for bad_user in ("a:b", "two words", "", "x" * 65, "line\nbreak"):
        with pytest.raises(ServeError, match="user name"):
            serve.htpasswd_line(bad_user, PASSWORD)
    with pytest.raises(ServeError, match="empty"):
        serve.htpasswd_line(USER, "")
    with pytest.raises(ServeError, match="salt"):
        serve.sha512_crypt("x", "bad salt")


def test_credentials_come_from_a_file_the_environment_or_an_htpasswd(tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\nignored second line\n", encoding="utf-8")
    assert serve.credentials(None, None, None, {}) is None
    from_file = serve.credentials(None, password_file, None, {serve.PASSWORD_ENV: "not this one"})
    assert from_file is not None and from_file.startswith("lab:$6$")
    assert serve.sha512_crypt(PASSWORD, from_file.split("$")[2]) == from_file.split(":", 1)[1].strip()
    from_env = serve.credentials("ann", None, None, {serve.PASSWORD_ENV: "s3cret"})
    assert from_env is not None and from_env.startswith("ann:$6$") and "s3cret" not in from_env
    assert serve.credentials("bob", None, None, {}, ask=lambda prompt: "typed").startswith("bob:$6$")
    with pytest.raises(ServeError, match=r"\$SERVE_PASSWORD or give --password-file"):
        serve.credentials("bob", None, None, {})
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    with pytest.raises(ServeError, match="empty: write the password on its first line"):
        serve.credentials(None, tmp_path / "empty", None, {})
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text("# the lab\nann:$apr1$abc$def\n\nbob:$6$salt$hash\n", encoding="utf-8")
    assert serve.credentials(None, None, htpasswd, {}) == "ann:$apr1$abc$def\nbob:$6$salt$hash\n"
    with pytest.raises(ServeError, match="without --user"):
        serve.credentials("ann", None, htpasswd, {})
    htpasswd.write_text("ann:{PLAIN}secret\n", encoding="utf-8")
    with pytest.raises(ServeError, match="not `user:hash`"):
        serve.credentials(None, None, htpasswd, {})


# --- the configuration ---------------------------------------------------------------------------------------------


def test_the_config_routes_by_a_cookie_passes_websockets_and_guards_the_door(tmp_path: Path) -> None:
    config = ProxyConfig((9001, 9002), tmp_path, "0.0.0.0", 8080, tmp_path / "htpasswd", ("192.168.1.7/24", "::1"))
    text = nginx_config(config)
    assert "listen 0.0.0.0:8080;" in text
    assert "hash $route_key consistent;" in text and "ip_hash" not in text
    assert "server 127.0.0.1:9001" in text and "server 127.0.0.1:9002" in text
    assert '"127.0.0.1:9002" 2;' in text  # X-Upstream names the process by number
    assert "proxy_set_header Upgrade $http_upgrade;" in text and "proxy_set_header Connection $connection_upgrade;" in text
    assert "proxy_http_version 1.1;" in text and "proxy_set_header Host $http_host;" in text
    stream = text[text.index("location /_stcore/stream") :]
    assert "proxy_read_timeout 1h;" in stream and "proxy_buffering off;" in stream
    assert text.index("allow 192.168.1.0/24;") < text.index("allow ::1/128;") < text.index("deny all;")
    assert f'auth_basic "{serve.REALM}";' in text and f"auth_basic_user_file {tmp_path / 'htpasswd'};" in text
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert f"{tmp_path}/tmp/{folder};" in text  # nothing under /var/lib/nginx: an ordinary user can run it
    assert f"pid {tmp_path}/nginx.pid;" in text and "user " not in text.split("events")[0]

    open_door = nginx_config(ProxyConfig((9001,), tmp_path, "::1", 8081))
    assert "listen [::1]:8081;" in open_door
    assert "auth_basic" not in open_door and "allow" not in open_door and "deny" not in open_door
    assert "user nobody nogroup;" in nginx_config(ProxyConfig((9001,), tmp_path, worker_account=("nobody", "nogroup")))


def test_bad_addresses_paths_and_ports_are_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match="not an IP address: give one such as 127.0.0.1"):
        serve.check_address("localhost")
    with pytest.raises(ServeError, match="not an address or network"):
        serve.check_allow("10.0.0.0/33")
    assert serve.check_allow("10.1.2.3/8") == "10.0.0.0/8" and serve.check_address("[::1]") == "::1"
    odd = tmp_path / "a $dollar; folder"
    with pytest.raises(ServeError, match="characters nginx treats as syntax"):
        nginx_config(ProxyConfig((9001,), odd))
    with pytest.raises(ServeError, match="no app process"):
        nginx_config(ProxyConfig((), tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ServeError, match="choose another --port or --address"):
            serve.check_port_free("127.0.0.1", taken.getsockname()[1])
    ports = serve.free_ports(3, avoid=8080)
    assert len(set(ports)) == 3 and 8080 not in ports


def test_a_missing_nginx_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(serve, "NGINX_PLACES", ())
    with pytest.raises(ServeError, match=r"nginx is not installed: install it with `sudo apt-get install nginx`"):
        serve.find_nginx()
    with pytest.raises(ServeError, match="apt-get install nginx"):
        serve.serve(ServeOptions(1, port=free_port()), log=lambda line: None)


def test_app_processes_listen_on_loopback_and_share_models_without_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    command = serve.app_command(8601)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8601"
    monkeypatch.setenv(serve.PASSWORD_ENV, "secret")
    env = serve.app_environment(Path("/srv/models"))
    assert env["MODELS_DIR"] == "/srv/models" and serve.PASSWORD_ENV not in env
    assert len(env["STREAMLIT_SERVER_COOKIE_SECRET"]) == 64
    assert env["MALLOC_ARENA_MAX"] == "2"  # fewer malloc arenas for many sessions' threads
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert serve.app_environment(Path("/srv/models"))["MALLOC_ARENA_MAX"] == "4"  # the user's choice kept


def test_the_command_line_has_serve() -> None:
    args = parser().parse_args(["serve", "--processes", "2", "--port", "9000", "--allow", "10.0.0.0/8", "--allow", "127.0.0.1"])
    assert (args.processes, args.port, args.address, args.allow) == (2, 9000, "127.0.0.1", ["10.0.0.0/8", "127.0.0.1"])
    for bad in (["--processes", "0"], ["--port", "70000"], ["--password-file", "a", "--htpasswd", "b"]):
        with pytest.raises(SystemExit):
            parser().parse_args(["serve", *bad])


def test_make_run_listens_on_loopback_unless_told_otherwise() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {key: value for key, value in os.environ.items() if key not in ("ADDRESS", "STREAMLIT_SERVER_ADDRESS", "N", "PORT")}

    def dry_run(*args: str) -> str:
        return subprocess.run(["make", "-n", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout

    assert "streamlit run app.py --server.address 127.0.0.1" in dry_run("run")
    assert "streamlit run app.py --server.address 0.0.0.0" in dry_run("run", "ADDRESS=0.0.0.0")
    served = " ".join(dry_run("serve", "N=2", "PORT=9000", "SERVE_USER=ann", "ALLOW=10.0.0.0/8 127.0.0.1").replace("\\\n", " ").split())
    assert "python -m lib serve --processes 2 --port 9000 --address 127.0.0.1 --user ann --allow 10.0.0.0/8 --allow 127.0.0.1" in served


# --- real nginx --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def bare_nginx(upstream_ports: tuple[int, ...], **settings: object) -> Iterator[str]:
    """nginx alone on a generated configuration (no app processes behind it); yields its URL."""
    nginx = nginx_or_skip()
    account = serve.worker_account()
    runtime, _ = serve.prepare_runtime(ServeOptions(1), account)
    port = free_port()
    if "password" in settings:
        settings["htpasswd"] = serve.write_htpasswd(runtime, serve.htpasswd_line(USER, str(settings.pop("password"))), account)
    conf = runtime / "nginx.conf"
    conf.write_text(nginx_config(ProxyConfig(upstream_ports, runtime, port=port, worker_account=account, **settings)), encoding="utf-8")
    serve.check_config(nginx, runtime, conf)
    child = serve.start("nginx", serve.nginx_command(nginx, runtime, conf), runtime / "nginx.log")
    url = f"http://127.0.0.1:{port}"
    try:
        serve.wait_until(lambda: serve.answers(url + "/") is not None, [child], 20, "answer from nginx")
        yield url
    finally:
        serve.stop_child(child)
        shutil.rmtree(runtime, ignore_errors=True)


def test_nginx_accepts_every_generated_config(tmp_path: Path) -> None:
    nginx = nginx_or_skip()
    account = serve.worker_account()
    runtime, _ = serve.prepare_runtime(ServeOptions(1), account)
    try:
        htpasswd = serve.write_htpasswd(runtime, serve.htpasswd_line(USER, PASSWORD), account)
        for settings in ({}, {"htpasswd": htpasswd}, {"allow": ("10.0.0.0/8", "::1")}, {"address": "::1", "htpasswd": htpasswd}):
            conf = runtime / "nginx.conf"
            conf.write_text(nginx_config(ProxyConfig((9001, 9002), runtime, worker_account=account, **settings)), encoding="utf-8")
            serve.check_config(nginx, runtime, conf)
        conf.write_text("events {}\nhttp { nonsense; }\n", encoding="utf-8")
        with pytest.raises(ServeError, match="nginx refuses the configuration .*nonsense"):
            serve.check_config(nginx, runtime, conf)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def test_an_allow_list_turns_other_addresses_away() -> None:
    nowhere = (free_port(),)  # no app behind it: a request let in gets 502 from nginx
    with bare_nginx(nowhere, allow=("10.0.0.0/8",)) as url:
        assert fetch(url + "/")[0] == 403
    with bare_nginx(nowhere, allow=("10.0.0.0/8", "127.0.0.1")) as url:
        assert fetch(url + "/")[0] == 502
    with bare_nginx(nowhere, allow=("127.0.0.1",), password=PASSWORD) as url:
        assert fetch(url + "/")[0] == 401, "an allowed address still needs the password"
        assert fetch(url + "/", PASSWORD)[0] == 502


@pytest.fixture(scope="module")
def deployment(demo_model_set: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """`python -m lib serve --processes 2` with a password, over the demo model set; its URL, process and children."""
    nginx_or_skip()
    folder = tmp_path_factory.mktemp("serve")
    (folder / "password").write_text(PASSWORD + "\n", encoding="utf-8")
    port = free_port()
    env = {**os.environ, "MODELS_DIR": str(demo_model_set.parent), serve.PASSWORD_ENV: "not the password"}
    args = [
        PYTHON,
        "-m",
        "lib",
        "serve",
        "--processes",
        "2",
        "--port",
        str(port),
        "--user",
        USER,
        "--password-file",
        str(folder / "password"),
    ]
    out, err = folder / "stdout", folder / "stderr"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    deadline = time.monotonic() + 120
    while "serving 2 app processes" not in out.read_text(encoding="utf-8"):
        assert process.poll() is None, f"serve stopped: {err.read_text(encoding='utf-8')}"
        assert time.monotonic() < deadline, f"serve did not start in 120 s: {err.read_text(encoding='utf-8')}"
        time.sleep(0.3)
    runtime = Path(re.search(r"configuration and logs: (\S+)", err.read_text(encoding="utf-8")).group(1))
    children = psutil.Process(process.pid).children()
    try:
        yield {"url": f"http://127.0.0.1:{port}", "port": port, "process": process, "children": children, "runtime": runtime, "err": err}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()


def test_no_password_or_a_wrong_one_gets_401(deployment: dict) -> None:
    status, headers, _ = fetch(deployment["url"] + "/")
    assert status == 401 and headers["www-authenticate"] == f'Basic realm="{serve.REALM}"'
    assert fetch(deployment["url"] + "/", "wrong password")[0] == 401
    assert fetch(deployment["url"] + "/_stcore/health", "wrong password")[0] == 401


def test_the_right_password_gets_the_app(deployment: dict) -> None:
    status, headers, body = fetch(deployment["url"] + "/", PASSWORD)
    assert status == 200 and '<div id="root">' in body and "streamlit" in body.lower()
    assert headers["x-upstream"] in ("1", "2")
    status, _, body = fetch(deployment["url"] + "/_stcore/health", PASSWORD)
    assert (status, body) == (200, "ok")


def test_the_password_file_holds_only_a_hash(deployment: dict) -> None:
    text = (deployment["runtime"] / "htpasswd").read_text(encoding="utf-8")
    assert text.startswith("lab:$6$") and PASSWORD not in text and "not the password" not in text


def test_app_processes_listen_on_loopback_only_and_share_the_model_sets(deployment: dict, demo_model_set: Path) -> None:
    apps = [child for child in deployment["children"] if "streamlit" in " ".join(child.cmdline())]
    assert len(apps) == 2
    for app in apps:
        listening = [c.laddr for c in app.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        assert listening and all(address.ip == "127.0.0.1" for address in listening), listening
        env = app.environ()
        assert env["MODELS_DIR"] == str(demo_model_set.parent) and serve.PASSWORD_ENV not in env


def test_a_browser_stays_with_one_process_and_browsers_spread_over_both(deployment: dict) -> None:
    url = deployment["url"]
    status, headers, _ = fetch(url + "/", PASSWORD)
    cookie = re.match(rf"{serve.ROUTE_COOKIE}=([0-9a-f]+); Path=/; HttpOnly", headers["set-cookie"]).group(1)
    first = headers["x-upstream"]
    # The request that set the cookie was routed by the same value: every later request goes where it went.
    for path in ("/", "/_stcore/health", "/", "/_stcore/host-config"):
        status, headers, _ = fetch(url + path, PASSWORD, cookie)
        assert headers["x-upstream"] == first, path
        assert "set-cookie" not in headers or serve.ROUTE_COOKIE not in headers["set-cookie"]
    seen = {fetch(url + "/_stcore/health", PASSWORD, f"browser{n}")[1]["x-upstream"] for n in range(24)}
    assert seen == {"1", "2"}


def test_a_websocket_session_runs_the_app_through_the_proxy_on_its_browser_process(deployment: dict) -> None:
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    stream = deployment["url"].replace("http", "ws", 1) + "/_stcore/stream"
    with pytest.raises(InvalidStatus) as refused:
        connect(stream, subprotocols=["streamlit"], open_timeout=10).close()
    assert refused.value.response.status_code == 401
    for cookie in ("browser-a", "browser-b", "browser-c"):
        http_upstream = fetch(deployment["url"] + "/", PASSWORD, cookie)[1]["x-upstream"]
        headers = {"Authorization": auth_header(USER, PASSWORD), "Cookie": f"{serve.ROUTE_COOKIE}={cookie}"}
        with connect(stream, subprotocols=["streamlit"], additional_headers=headers, open_timeout=10, max_size=None) as socket_:
            assert socket_.response.status_code == 101
            assert socket_.response.headers[serve.UPSTREAM_HEADER] == http_upstream, "the websocket reaches its page's process"
            message = BackMsg()
            message.rerun_script.query_string = "q=spectral+graph+methods"
            message.rerun_script.page_name = ""
            socket_.send(message.SerializeToString())
            status, deltas, deadline = None, 0, time.monotonic() + 60
            while status != "FINISHED_SUCCESSFULLY":
                assert time.monotonic() < deadline, "no finished script run within 60 s"
                reply = ForwardMsg()
                reply.ParseFromString(socket_.recv(timeout=60))
                kind = reply.WhichOneof("type")
                if kind == "delta":
                    deltas += 1
                    element = reply.delta.new_element
                    assert not element.HasField("exception"), element.exception.message
                elif kind == "script_finished":
                    status = ForwardMsg.ScriptFinishedStatus.Name(reply.script_finished)
                    assert status in ("FINISHED_SUCCESSFULLY", "FINISHED_EARLY_FOR_RERUN"), status
            assert deltas > 5, "the search page drew its results"


def test_every_app_process_is_warmed_and_the_proxy_keeps_the_warm_up_to_itself(deployment: dict, demo_model_set: Path) -> None:
    deadline = time.monotonic() + 120
    while not all(f"app process {n} warmed" in deployment["err"].read_text(encoding="utf-8") for n in (1, 2)):
        assert time.monotonic() < deadline, deployment["err"].read_text(encoding="utf-8")
        time.sleep(0.5)
    # Warmed: each process has opened the default set (its arrays are memory-mapped) before any reader came.
    apps = [child for child in deployment["children"] if "streamlit" in " ".join(child.cmdline())]
    for app in apps:
        mapped = {Path(region.path) for region in app.memory_maps()}
        assert demo_model_set / "vectors.npy" in mapped, sorted(str(path) for path in mapped if "models" in str(path))
    # The endpoint that runs the app is the command's own: through the proxy it does not exist.
    assert fetch(deployment["url"] + "/_stcore/script-health-check", PASSWORD)[0] == 404


def test_sigterm_stops_nginx_and_every_app_process(deployment: dict) -> None:
    process, port = deployment["process"], deployment["port"]
    assert {child.name() for child in deployment["children"]} >= {"nginx"} and len(deployment["children"]) == 3
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=40) == 0
    assert "stopped" in deployment["err"].read_text(encoding="utf-8")
    for child in deployment["children"]:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    assert not deployment["runtime"].exists(), "the runtime folder of a clean stop is removed"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "nothing listens on the port any more"
