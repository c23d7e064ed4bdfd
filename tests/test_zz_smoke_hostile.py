import pytest
from tests.hostile_provider import expect_signed_on, expect_refused

pytestmark = pytest.mark.django_db


def test_good(hostile, client, caplog):
    expect_signed_on(hostile, client, caplog)
    print(hostile.endpoints_hit())


def test_bad_nonce(hostile, client, caplog):
    hostile.id_token_claims["nonce"] = "x"
    expect_refused(hostile, client, caplog, "id_token_bad_nonce")
