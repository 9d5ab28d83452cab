"""load_genesis: every mistake gives one line naming the file, the key and what is wrong;
integers must fit SQLite's signed 64-bit range. Block timestamps likewise."""

from __future__ import annotations

import json

import pytest
from gc_helpers import ALICE, CHAIN, VALIDATOR
from ghostchain import block as B
from ghostchain import genesis as G
from ghostchain.errors import BlockError

KEY = VALIDATOR.public_key.hex()


def good(**changes: object) -> dict:
    data: dict = {
        "chain_id": "net-1",
        "validator_key": KEY,
        "timestamp_ns": 5,
        "fee_schedule": {"base_fee": 1, "fee_per_byte": 2},
        "allocations": [{"address": ALICE.address_text, "amount": "100"}],
    }
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    return data


def test_a_good_file_loads_with_string_or_integer_amounts(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(good()))
    g = G.load_genesis(path)
    assert (g.chain_id, g.validator_key.hex(), g.timestamp_ns) == ("net-1", KEY, 5)
    assert g.allocations == ((ALICE.address, 100),) and g.fee_schedule.fee_per_byte == 2


@pytest.mark.parametrize(
    "data, expected",
    [
        (good(validator_key=None), "missing key 'validator_key'"),
        (good(chain_id=None), "missing key 'chain_id'"),
        (good(validator_key="zz" * 32), "validator_key must be hex"),
        (good(validator_key=7), "validator_key must be hex"),
        (good(validator_key="ab" * 31), "validator_key must be 32 bytes (64 hex digits"),
        (good(chain_id=""), "chain_id must be a non-empty string"),
        (good(chain_id=5), "chain_id must be a non-empty string"),
        (good(chain_id="x" * 300), "chain_id must be at most 255 bytes"),
        (good(timestamp_ns=2**63), "timestamp_ns must be between 0 and"),
        (good(timestamp_ns=-1), "timestamp_ns must be between 0 and"),
        (good(timestamp_ns="soon"), "timestamp_ns must be an integer"),
        (good(fee_schedule={"base_fee": 2**64}), "fee_schedule.base_fee must be between"),
        (good(fee_schedule={"base_fe": 1}), "unknown key fee_schedule.base_fe"),
        (good(fee_schedule=[]), "fee_schedule must be a JSON object"),
        (good(allocations={}), "allocations must be a JSON list"),
        (good(allocations=[{"amount": 1}]), "missing key allocations[0].address"),
        (good(allocations=[{"address": "gh1zz", "amount": 1}]), "allocations[0].address:"),
        (good(allocations=[{"address": ALICE.address_text, "amount": 1.5}]), "amount must be"),
        (
            good(
                allocations=[
                    {"address": ALICE.address_text, "amount": 2**62},
                    {"address": VALIDATOR.address_text, "amount": 2**62},
                ]
            ),
            "total genesis allocation exceeds",
        ),
        (good(validatorkey=KEY), "unknown key 'validatorkey'"),
        (["not", "an", "object"], "must be a JSON object"),
    ],
)
def test_each_mistake_names_file_key_and_problem(tmp_path, data, expected):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError) as info:
        G.load_genesis(path)
    message = str(info.value)
    assert message.startswith(f"genesis file {path}: ") and expected in message
    assert "\n" not in message


def test_unreadable_or_broken_files(tmp_path):
    with pytest.raises(ValueError, match="cannot read it: No such file"):
        G.load_genesis(tmp_path / "missing.json")
    path = tmp_path / "g.json"
    path.write_text('{"chain_id": "x",\n  oops}')
    with pytest.raises(ValueError, match=r"not valid JSON: .*\(line 2, column 3\)"):
        G.load_genesis(path)
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError, match="not UTF-8"):
        G.load_genesis(path)
    path.write_text("[" * 100_000)
    with pytest.raises(ValueError, match="not valid JSON"):
        G.load_genesis(path)


@pytest.mark.parametrize("ts", [-1, 2**63, 2**63 * 1000])
def test_block_timestamps_outside_the_storable_range_are_invalid(ts):
    header = B.build_header(
        chain_id=CHAIN,
        height=1,
        prev_hash=bytes(32),
        tx_hashes=[],
        timestamp_ns=0,
        proposer_key=VALIDATOR.public_key,
    )
    header.timestamp.seconds, header.timestamp.nanos = divmod(ts, 10**9)
    block = B.sign_block(header, VALIDATOR.secret, [])
    with pytest.raises(BlockError, match="timestamp is out of range"):
        B.verify_block(block, chain_id=CHAIN, validators=[VALIDATOR.public_key])
