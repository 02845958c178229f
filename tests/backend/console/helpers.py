"""Driving the console over HTTP as a browser would: cookies, forms, CSRF tokens."""

from __future__ import annotations

import re

import httpx

from tests.conftest import Account

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, html[:500]
    return found.group(1)


async def console_sign_in(
    client: httpx.AsyncClient, account: Account, *, label: str = "Test browser"
) -> httpx.Response:
    """Sign ``account`` in through the console's form; returns the answer to the POST."""
    form = await client.get("/console/login")
    assert form.status_code == 200, form.text
    return await client.post(
        "/console/login",
        data={
            "csrf": csrf_of(form.text),
            "username": account.username,
            "password": account.password,
            "device_label": label,
        },
    )


async def signed_in_page(client: httpx.AsyncClient, account: Account, path: str) -> str:
    """Sign in and GET ``path``; returns its HTML (asserting 200)."""
    answer = await console_sign_in(client, account)
    assert answer.status_code == 303, answer.text
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return page.text
