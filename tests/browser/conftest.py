"""A live Lantern server and a real Chromium for the console's end-to-end tests.

The server runs in a thread of this process (uvicorn) against the test's own
database, SQLite or PostgreSQL (``LANTERN_TEST_DATABASE_URL``), seeded by the
demo. Chromium is Debian's package, driven by Playwright; the tests skip,
saying why, only when no Chromium is installed here (CI installs it).
Screenshots go to ``var/screenshots`` (not committed).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from backend.app import build_runtime, create_app
from backend.demo import DemoResult, DemoUser, seed_demo
from backend.settings import Settings

CHROMIUM = os.environ.get("LANTERN_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _chromium_missing() -> str | None:
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return None
    return f"no Chromium at {CHROMIUM} (install Debian's `chromium` package; CI does)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _seed(settings: Settings) -> DemoResult:
    runtime = build_runtime(settings)
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://seed") as client:
            return await seed_demo(runtime, client, cases=30, caseworkers=1, seed=5)
    finally:
        await runtime.db.dispose()


@dataclass
class Live:
    """The running server, what the demo made, and the browser's findings."""

    url: str
    demo: DemoResult
    problems: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

    def user(self, role: str) -> DemoUser:
        return next(u for u in self.demo.users if u.role == role)


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    """The demo seeded into the test's database, served on a free local port."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # its own event loop, in its own thread
        demo = pool.submit(asyncio.run, _seed(settings)).result()
    runtime = build_runtime(settings)
    port = _free_port()
    config = uvicorn.Config(
        create_app(runtime=runtime), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Live(url=f"http://127.0.0.1:{port}", demo=demo)
    server.should_exit = True
    thread.join(timeout=20)


Flow = Callable[[Any], None]


@pytest.fixture
def drive(live: Live) -> Callable[[Flow], None]:
    """Run a flow in a fresh Chromium; any console error or CSP violation fails it.

    Playwright's synchronous API runs an event loop in its thread, so each flow
    runs in a thread of its own and the suite's asyncio fixtures stay untouched.
    """
    reason = _chromium_missing()
    if reason:
        pytest.skip(reason)

    def run(flow: Flow) -> None:
        failure: list[BaseException] = []

        def body() -> None:
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as playwright:
                    chromium = playwright.chromium.launch(
                        executable_path=CHROMIUM
                        if Path(CHROMIUM).exists()
                        else shutil.which("chromium"),
                        args=["--no-sandbox", "--disable-dev-shm-usage"],
                    )
                    context = chromium.new_context(viewport=DESKTOP, base_url=live.url)
                    tab = context.new_page()
                    tab.on("console", lambda message: _note(live, message))
                    tab.on(
                        "response",
                        lambda answer: live.answers.append(f"{answer.status} {answer.url}"),
                    )
                    tab.on("pageerror", lambda error: live.problems.append(f"page error: {error}"))
                    try:
                        flow(tab)
                    finally:
                        chromium.close()
            except BaseException as exc:  # handed to the test's thread
                failure.append(exc)

        thread = threading.Thread(target=body)
        thread.start()
        thread.join(timeout=300)
        if failure:
            raise failure[0]
        assert live.problems == [], (live.problems, live.answers)

    return run


def _note(live: Live, message: Any) -> None:
    if message.type in {"error", "warning"}:
        live.problems.append(f"console {message.type}: {message.text}")


def shoot(page: Any, name: str) -> None:
    """Screenshots of the current page at desktop and phone widths."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def sign_in(page: Any, user: DemoUser, *, label: str = "Chromium under test") -> None:
    """Sign in through the console's form, with the keyboard's labels."""
    page.goto("/console/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    page.get_by_label("Name of this browser").fill(label)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
