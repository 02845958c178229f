"""The console in a real Chromium: each role's main flow, screenshots at two widths.

Any console error or CSP violation in the browser fails a test (the ``drive`` fixture).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import Live, shoot, sign_in


def test_sign_in_and_sign_out(drive: Callable[[Callable[[Any], None]], None], live: Live) -> None:
    def flow(page: Any) -> None:
        page.goto("/console/login")
        shoot(page, "login")
        sign_in(page, live.user("admin"))
        assert page.url.endswith("/console/admin/users")
        page.get_by_label("Language").select_option("th")
        page.get_by_role("button", name="Change language").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "th"
        shoot(page, "users-thai")
        page.get_by_label("ภาษา").select_option("en")
        page.get_by_role("button", name="เปลี่ยนภาษา").click()
        page.wait_for_load_state()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
        assert "/console/login" in page.url
        assert page.get_by_text("You have signed out.").is_visible()
        page.goto("/console/admin/users")  # the session is gone
        assert "/console/login" in page.url

    drive(flow)


def test_a_wrong_password_is_refused_in_the_page(
    drive: Callable[[Callable[[Any], None]], None], live: Live
) -> None:
    def flow(page: Any) -> None:
        page.goto("/console/login")
        page.get_by_label("Username").fill(live.user("admin").username)
        page.get_by_label("Password").fill("not-the-password-0")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        assert page.get_by_role("alert").inner_text() == "The username or password is wrong."
        live.problems.clear()  # the 401 answer itself is logged by Chromium as a failed resource

    drive(flow)


def test_coordinator_triage_case_referral_transfer(
    drive: Callable[[Callable[[Any], None]], None], live: Live
) -> None:
    def flow(page: Any) -> None:
        sign_in(page, live.user("coordinator"))
        assert page.url.endswith("/console/cases")
        assert re.fullmatch(r"30 cases match", page.locator("#total").inner_text())
        shoot(page, "triage")
        page.get_by_label("Age group").select_option("adult")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_load_state()
        assert "age_group=adult" in page.url
        page.locator("tbody a").first.click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Why are you opening this case?").is_visible()
        shoot(page, "case-purpose")
        page.get_by_label("Referral").check()
        page.get_by_role("button", name="Open the case").click()
        page.wait_for_load_state()
        assert "purpose=referral" in page.url
        assert page.get_by_role("heading", name="Person").is_visible()
        assert page.get_by_role("heading", name="Screenings").is_visible()
        shoot(page, "case")
        page.get_by_label("Service", exact=True).select_option("shelter")
        page.get_by_role("button", name="Propose the referral").click()
        page.wait_for_load_state()
        assert page.get_by_role("status").first.inner_text() == "Done."
        page.get_by_role("button", name=re.compile(r"^Move to: accepted")).first.click()
        page.wait_for_load_state()
        assert "done=moved" in page.url
        page.get_by_label("Receiving operation").select_option(index=1)
        page.get_by_role("button", name="Offer the case").click()
        page.wait_for_load_state()
        assert "done=transfer" in page.url
        page.get_by_role("link", name="Transfers").click()
        page.wait_for_load_state()
        shoot(page, "transfers")
        page.get_by_role("button", name="Accept").first.click()
        page.wait_for_load_state()
        assert page.get_by_text("No pending transfer.").is_visible()

    drive(flow)


def test_admin_disables_and_enables_a_user_and_revokes_a_device(
    drive: Callable[[Callable[[Any], None]], None], live: Live
) -> None:
    def flow(page: Any) -> None:
        worker = live.user("caseworker")
        sign_in(page, live.user("admin"))
        shoot(page, "users")
        page.get_by_label("Username contains").fill(worker.username)
        page.get_by_role("button", name="Filter").click()
        page.wait_for_load_state()
        row = page.locator("tbody tr", has_text=worker.username)
        row.get_by_role("button", name=re.compile("^Disable")).click()
        page.wait_for_load_state()
        row = page.locator("tbody tr", has_text=worker.username)
        assert "Disabled" in row.inner_text()
        row.get_by_role("button", name=re.compile("^Enable")).click()
        page.wait_for_load_state()
        row = page.locator("tbody tr", has_text=worker.username)
        row.get_by_role("button", name=re.compile("^Unlock")).click()
        page.wait_for_load_state()
        assert page.get_by_role("status").inner_text() == "Done."
        row = page.locator("tbody tr", has_text=worker.username)
        assert "Active" in row.inner_text()
        row.get_by_role("link", name=re.compile("^Devices")).click()
        page.wait_for_load_state()
        shoot(page, "devices")
        page.get_by_role("button", name=re.compile("^Revoke")).first.click()
        page.wait_for_load_state()
        assert "Revoked" in page.locator("tbody").inner_text()

    drive(flow)


def test_a_caseworker_sees_only_what_a_caseworker_may(
    drive: Callable[[Callable[[Any], None]], None], live: Live
) -> None:
    def flow(page: Any) -> None:
        sign_in(page, live.user("caseworker"))
        assert page.url.endswith("/console/")
        assert page.get_by_role("link", name="Triage").count() == 0
        assert page.get_by_role("link", name="Users").count() == 0
        shoot(page, "caseworker-home")
        answer = page.goto("/console/cases")
        assert answer is not None and answer.status == 403
        assert page.get_by_role("heading", name="You are not allowed to do this.").is_visible()
        live.problems.clear()  # Chromium logs the 403 answer as a failed resource
        page.goto("/console/me/devices")
        assert "Chromium under test" in page.locator("tbody").inner_text()

    drive(flow)


def test_investigator_lookup_cluster_export(
    drive: Callable[[Callable[[Any], None]], None], live: Live
) -> None:
    def flow(page: Any) -> None:
        sign_in(page, live.user("investigator"))
        assert page.url.endswith("/console/investigations")
        page.get_by_label("Title").fill("Compound payments (test)")
        page.get_by_label("Purpose").fill("Follow the money of a synthetic compound")
        page.get_by_label("Legal basis").fill("Synthetic test basis")
        page.get_by_role("button", name="Open").click()
        page.wait_for_load_state()
        page.get_by_label("Address or transaction id").fill(live.demo.hub)
        page.get_by_role("button", name="Look up").click()
        page.wait_for_load_state()
        assert re.search(r"Named by \d+ cases", page.locator("#case-count").inner_text())
        shoot(page, "lookup")
        page.get_by_role("link", name="Draw its cluster").click()
        page.wait_for_load_state()
        assert page.locator("svg.graph").is_visible()
        assert re.search(r"\d+ addresses, \d+ cases", page.locator("#cluster-size").inner_text())
        shoot(page, "cluster")
        page.get_by_role("link", name="Compound payments (test)").click()
        page.wait_for_load_state()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        assert download.value.suggested_filename == "links.csv"

    drive(flow)


def test_an_inline_script_is_refused_and_fails_the_flow(
    drive: Callable[[Callable[[Any], None]], None], live: Live
) -> None:
    """The CSP is enforced by the browser, and its violation report fails a test."""

    def flow(page: Any) -> None:
        page.goto("/console/login")
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.ran = true'; document.body.appendChild(s); }"
        )
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.ran === undefined")  # it did not run

    with pytest.raises(AssertionError) as caught:
        drive(flow)
    assert "Content Security Policy" in str(caught.value)
