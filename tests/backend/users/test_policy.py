"""The password policy (NIST SP 800-63B): length, common passwords, context, repetition."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from backend.users.policy import MIN_LENGTH, password_problems


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pass-1", "at least 15"),
        ("passwordpassword", "commonly used"),
        ("Password123456789!", "commonly used"),
        ("iloveyouiloveyou", "commonly used"),
        ("aaaaaaaaaaaaaaaaaaa", "repetitive or sequential"),
        ("abcabcabcabcabcabc", "repetitive or sequential"),
        ("abcdefghijklmnopq", "repetitive or sequential"),
        ("98765432109876543", "repetitive or sequential"),
        ("my-lantern-password-here", "service name"),
        ("field.worker.7-secret-words", "username"),
        ("x" * 300, "at most 256"),
    ],
)
def test_refused_passwords(password: str, reason: str) -> None:
    problems = password_problems(password, username="field.worker.7")
    assert any(reason in p for p in problems), problems


@pytest.mark.parametrize(
    "password",
    [
        "correct-horse-battery-staple-7",
        "river otter lamp seventeen",
        "ngôi nhà màu xanh bên sông",  # no composition rules: any script is fine
        "二零二六年的长长的密码短语测试",
    ],
)
def test_accepted_passwords(password: str) -> None:
    assert password_problems(password, username="someone") == []


def test_no_composition_rules_long_lowercase_passphrase_is_fine() -> None:
    assert password_problems("a quiet morning by the harbour", username="x") == []


@given(st.text(min_size=0, max_size=MIN_LENGTH - 1))
def test_anything_shorter_than_the_minimum_is_refused(password: str) -> None:
    # Length is counted after NFKC (SP 800-63B), which can lengthen a string.
    assume(len(unicodedata.normalize("NFKC", password)) < MIN_LENGTH)
    assert any("at least" in p for p in password_problems(password))


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=400))
def test_policy_never_crashes(password: str) -> None:
    assert isinstance(password_problems(password, username="u.ser"), list)
