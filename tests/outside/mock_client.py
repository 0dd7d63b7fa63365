#!/usr/bin/env python3
"""A test suite of another program, written against `pipi mock` from outside.

It does what someone's CI would: starts `pipi mock --port 0`, waits for the port file and
the health check, reads the export lines from --env-file, registers a second app, logs in
through it with `pipi login` (this script, run as `browse URL`, is the browser that walks
the sign-in and consent pages), moves the site's clock past the token's life and sees
`pipi whoami` exit 4, sets a fault for one request, and reads the request log.

Usage: mock_client.py PIPI WORKDIR CALLBACK_PORT
       mock_client.py browse URL
Only the standard library. Every wait has a deadline; none is a fixed sleep.
"""

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEADLINE = 60.0
SECOND_APP = {
    "app_id": "777",
    "app_secret": "0123456789abcdef0123456789abcdef",
    "app_name": "Second app",
}


def browse(url):
    """Walks the emulator's pages as a person would: sign in as the first person, consent,
    and follow the redirect to the app (pipi's listener)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url, timeout=30)
    for _ in range(6):
        body = page.read().decode("utf-8", "replace")
        base = page.geturl()
        signin = re.search(r'data-pipi="signin".*?name="user_id" value="([^"]*)".*?name="next" value="([^"]*)"', body, re.S)
        approve = re.search(r'data-pipi="approve".*?name="app_id" value="([^"]*)"', body, re.S)
        if signin:
            form = {"user_id": signin.group(1), "next": unescape(signin.group(2))}
            target = "/signin"
        elif approve:
            form = {"app_id": approve.group(1)}
            target = "/oauth/approve"
        else:
            return  # pipi's own page: the login is done
        data = urllib.parse.urlencode(form).encode()
        page = opener.open(urllib.parse.urljoin(base, target), data=data, timeout=30)
    raise SystemExit("the browser went round in circles")


def unescape(text):
    return text.replace("&amp;", "&").replace("&quot;", '"').replace("&#039;", "'")


class Check:
    def __init__(self, pipi, workdir, callback_port):
        self.pipi = pipi
        self.workdir = workdir
        self.callback_port = int(callback_port)
        self.env = {
            "HOME": os.path.join(workdir, "home"),
            "PIPI_CONFIG_DIR": os.path.join(workdir, "config"),
            "PIPI_CACHE_DIR": os.path.join(workdir, "cache"),
            "PATH": os.environ.get("PATH", ""),
        }
        self.mock = None
        self.log_path = os.path.join(workdir, "mock.log")

    def wait_for(self, what, ready):
        until = time.monotonic() + DEADLINE
        while time.monotonic() < until:
            if self.mock.poll() is not None:
                raise AssertionError(f"pipi mock ended while waiting for {what}")
            value = ready()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {DEADLINE} s")

    def admin(self, method, route, body=None, expect=200):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(self.base + "/__pipi/" + route, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        assert status == expect, f"{method} {route}: {status} {text!r}"
        return json.loads(text)

    def pipi_run(self, *args, env=None):
        return subprocess.run(
            [self.pipi, *args], env={**self.env, **(env or {})}, capture_output=True,
            stdin=subprocess.DEVNULL, timeout=DEADLINE, text=True,
        )

    def run(self):
        port_file = os.path.join(self.workdir, "port")
        env_file = os.path.join(self.workdir, "mock.env")
        with open(self.log_path, "w") as log:
            self.mock = subprocess.Popen(
                [self.pipi, "mock", "--port", "0", "--print-port-to", port_file, "--env-file", env_file],
                env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
            )
        port = self.wait_for("port file", lambda: os.path.exists(port_file) and open(port_file).read().strip())
        self.base = f"http://127.0.0.1:{int(port)}"

        def healthy():
            try:
                return self.admin("GET", "health") == {"ok": True}
            except (urllib.error.URLError, ConnectionError):
                return False
        self.wait_for("health", healthy)

        # The export lines, as `. FILE` would read them.
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", open(env_file).read(), re.M))
        assert exports["PIPI_BASE_URL"] == self.base, exports
        assert exports["PIPI_APP_ID"] == "4242", exports

        # A second app, with its own redirect URL: pipi's listener.
        redirect = f"http://127.0.0.1:{self.callback_port}/callback"
        app = self.admin("POST", "apps", {**SECOND_APP, "redirect_url": redirect})
        assert app["app_id"] == "777", app
        apps = self.admin("GET", "apps")
        assert [a["app_id"] for a in apps] == ["4242", "777"], apps
        # Malformed JSON and unknown fields get a clear 400.
        assert "malformed JSON" in self.admin("POST", "apps", b"{", expect=400)["error"]
        assert "unknown field" in self.admin("POST", "settings", {"ttl": 5}, expect=400)["error"]

        browser = os.path.join(self.workdir, "browse.sh")
        with open(browser, "w") as script:
            script.write(f'#!/bin/sh\nexec "{sys.executable}" "{os.path.abspath(__file__)}" browse "$1"\n')
        os.chmod(browser, 0o755)
        site = {
            "PIPI_BASE_URL": self.base,
            "PIPI_APP_ID": SECOND_APP["app_id"],
            "PIPI_APP_SECRET": SECOND_APP["app_secret"],
            "PIPI_REDIRECT_URL": redirect,
            "PIPI_BROWSER": browser,
        }
        self.env.update(site)
        login = self.pipi_run("login", "--timeout", "60")
        assert login.returncode == 0, f"login: {login.returncode} {login.stderr}"
        whoami = self.pipi_run("whoami")
        assert whoami.returncode == 0, whoami.stderr
        assert json.loads(whoami.stdout)["user_name"] == "jose", whoami.stdout

        # Past the token's minute, with no waiting: the site calls it expired.
        clock = self.admin("POST", "clock", {"advance_seconds": 61})
        assert clock["offset_seconds"] == 61, clock
        whoami = self.pipi_run("whoami")
        assert whoami.returncode == 4, f"whoami after the clock moved: {whoami.returncode} {whoami.stderr}"

        # A fault for one request: the next get_user_info fails, the one after works.
        login = self.pipi_run("login", "--timeout", "60")
        assert login.returncode == 0, f"second login: {login.stderr}"
        token = self.pipi_run("token").stdout.strip()
        faults = self.admin("POST", "faults", {"endpoint": "user_info", "kind": "html500", "times": 1})
        assert faults == [{"endpoint": "user_info", "kind": "html500", "times": 1}], faults
        info = self.base + "/api/get_user_info?access_token=" + token
        try:
            urllib.request.urlopen(info, timeout=30)
            raise AssertionError("the fault did not happen")
        except urllib.error.HTTPError as error:
            assert error.code == 500, error.code
        with urllib.request.urlopen(info, timeout=30) as answer:
            assert json.loads(answer.read())["user_info"]["user_id"] == "1"
        assert self.admin("GET", "faults") == []

        # The log: the second app's exchanges, its secret and keys masked.
        seen = self.admin("GET", "requests?path=/api/authorize")
        assert len(seen) >= 2 and all(r["path"] == "/api/authorize" for r in seen), seen
        text = json.dumps(seen)
        assert SECOND_APP["app_secret"] not in text and "[redacted]" in text, text
        assert token not in json.dumps(self.admin("GET", "requests")), "a token in the log"

        # Reset: the second app is gone, the default stays.
        self.admin("POST", "reset", {})
        assert [a["app_id"] for a in self.admin("GET", "apps")] == ["4242"]

    def stop(self):
        if self.mock and self.mock.poll() is None:
            self.mock.send_signal(signal.SIGTERM)
            self.mock.wait(timeout=DEADLINE)
        return self.mock.returncode if self.mock else None


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "browse":
        browse(sys.argv[2])
        return 0
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    check = Check(*sys.argv[1:])
    try:
        check.run()
    except Exception as error:  # the whole story, for the test's failure message
        check.stop()
        print(f"FAILED: {error!r}", file=sys.stderr)
        print(open(check.log_path).read(), file=sys.stderr)
        return 1
    code = check.stop()
    if code != 0:
        print(f"FAILED: pipi mock exited {code}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
