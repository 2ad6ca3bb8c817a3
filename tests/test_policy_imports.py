"""The [imports] section of aidbooks.toml: defaults, mappings, and clear errors."""

from __future__ import annotations

import pytest

from aidbooks.plugins.errors import PolicyError
from aidbooks.plugins.policy import parse_policy


def test_defaults() -> None:
    imports = parse_policy("").imports
    assert imports.bank_account == "Assets:Bank:Checking"
    assert imports.venmo_timezone == "UTC"
    assert imports.paypal_date_order == ""
    assert imports.mapped == {}


def test_a_complete_mapping() -> None:
    policy = parse_policy(
        '[imports.mapped.zeffy]\nchannel = "Zeffy"\nid = "Transaction ID"\n'
        'date = "Date"\namount = "Total"\ndonor = ["Email"]\n'
    )
    source = policy.imports.mapped["zeffy"]
    assert (source.channel, source.id, source.donor) == (
        "Zeffy",
        "Transaction ID",
        ("Email",),
    )


def test_a_preset_needs_nothing_else() -> None:
    assert (
        parse_policy('[imports.mapped.ab]\npreset = "actblue"\n')
        .imports.mapped["ab"]
        .preset
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[imports.mapped.x]\nchannel = "X"\n', 1, "needs id, date, amount"),
        # a bad source name is reported for [imports.mapped] as a whole, naming the source
        ('[imports.mapped.venmo]\npreset = "actblue"\n', None, "source name 'venmo'"),
        (
            '[imports.mapped.My-Site]\npreset = "actblue"\n',
            None,
            "lower-case letters and digits",
        ),
        (
            '[imports.mapped.x]\npreset = "actblue"\nchannel = "two words"\n',
            3,
            "capitalised name without spaces",
        ),
        ('[imports]\nbank_account = "Bank"\n', 2, "must be an account name"),
        ('[imports]\nvenmo_timezone = "Mars/Olympus"\n', 2, "IANA time zone"),
        ('[imports]\npaypal_date_order = "YMD"\n', 2, "imports.paypal_date_order"),
        ('[imports.mapped.x]\npreset = "kofi"\n', 2, "imports.mapped.x.preset"),
        ("[imports]\nunknown = 1\n", 2, "is not a known key"),
    ],
)
def test_bad_imports_name_the_key(text: str, line: int | None, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "aidbooks.toml")
    assert message in str(info.value)
    assert info.value.lineno == line
