"""Pure wallet logic: fee fixed point, batch planning, multisig collection, balance deltas."""

from __future__ import annotations

import pytest
from ghost.node.v1 import types_pb2
from ghostchain.fees import FeeSchedule
from ghostchain.genesis import dev_account
from ghostchain.keys import multisig_address
from ghostchain.tx import decode_and_verify, encode_transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from walletd_stub import core
from walletd_stub.errors import Code, WalletError
from walletd_stub.keystore import Signer
from zcrypto import KeyType

FEES = FeeSchedule(base_fee=1_000, fee_per_byte=10)
CHAIN = core.ChainView(chain_id="walletd-test", fees=FEES, height=5)


def signer_of(label: str, kt: KeyType = KeyType.ED25519) -> Signer:
    acc = dev_account(label, kt)
    return Signer(
        key_type=kt, public_key=acc.public_key, address_bytes=acc.address, secret=acc.secret
    )


def key_of(s: Signer) -> types_pb2.PublicKey:
    return types_pb2.PublicKey(key_type=int(s.key_type), key=s.public_key)


ALICE = signer_of("alice")
BOB = signer_of("bob")
CAROL = signer_of("carol", KeyType.SECP256K1)


@settings(max_examples=60, deadline=None)
@given(
    amount=st.integers(1, 2**64 - 1),
    nonce=st.integers(0, 2**40),
    base=st.integers(0, 10**12),
    per_byte=st.integers(0, 10**9),
)
def test_estimated_fee_is_exactly_the_minimum_for_the_final_bytes(
    amount: int, nonce: int, base: int, per_byte: int
) -> None:
    fees = FeeSchedule(base_fee=base, fee_per_byte=per_byte)
    tx = core.transfer_tx(CHAIN, key_of(ALICE), nonce, BOB.address_bytes, amount)
    tx_bytes = core.fill_fee(tx, fees, None)
    assert tx_bytes == encode_transaction(tx)
    assert tx.fee == fees.min_fee(len(tx_bytes))
    est = core.estimate(tx, fees)
    assert (est.gas_units, est.fee) == (len(tx_bytes), tx.fee)
    assert est.fee == est.base_fee + est.gas_price * est.gas_units


def test_given_fee_below_minimum_is_invalid_argument_naming_the_minimum() -> None:
    tx = core.transfer_tx(CHAIN, key_of(ALICE), 0, BOB.address_bytes, 5)
    with pytest.raises(WalletError) as info:
        core.fill_fee(tx, FEES, 10)
    assert info.value.code is Code.INVALID_ARGUMENT
    assert str(FEES.min_fee(len(encode_transaction(tx)))) in info.value.message
    minimum = core.estimate(tx, FEES).fee
    assert core.fill_fee(tx, FEES, minimum) == encode_transaction(tx)
    with pytest.raises(WalletError):
        core.fill_fee(tx, FEES, minimum - 1)


def test_signed_transfer_passes_the_chain_checks() -> None:
    tx = core.transfer_tx(CHAIN, key_of(CAROL), 3, BOB.address_bytes, 42)
    signed = core.sign_single(core.fill_fee(tx, FEES, None), CAROL)
    parsed = decode_and_verify(signed, CHAIN.chain_id)
    assert parsed.transfer.amount == 42 and parsed.nonce == 3
    assert parsed.timestamp.nanos == 0  # whole seconds: stable size


def view(balance: int, nonce: int = 0, pending: frozenset[int] = frozenset(), out: int = 0):
    return core.AccountView(
        address="x",
        balance=balance,
        nonce=nonce,
        height=1,
        pending_nonces=pending,
        pending_outgoing=out,
    )


def test_next_nonce_counts_own_pending_transactions() -> None:
    assert view(0, nonce=4).next_nonce == 4
    assert view(0, nonce=4, pending=frozenset({4, 5})).next_nonce == 6
    assert view(100, out=30).available == 70


def test_pending_summary_counts_only_own_pending() -> None:
    def info(sender: bytes, nonce: int, amount: int, fee: int, status: int):
        i = types_pb2.TransactionInfo()
        i.transaction.sender = sender
        i.transaction.nonce = nonce
        i.transaction.fee = fee
        i.transaction.transfer.amount = amount
        i.receipt.status = status
        return i

    pend = types_pb2.TRANSACTION_STATUS_PENDING
    infos = [
        info(ALICE.address_bytes, 7, 100, 5, pend),
        info(ALICE.address_bytes, 8, 50, 5, pend),
        info(BOB.address_bytes, 1, 999, 5, pend),  # incoming, not ours to spend
        info(ALICE.address_bytes, 6, 1, 1, types_pb2.TRANSACTION_STATUS_SUCCESS),
    ]
    nonces, outgoing = core.pending_summary(ALICE.address_bytes, infos)
    assert nonces == {7, 8} and outgoing == 160
    # Nonce 7 got included between the reads (confirmed nonce is now 8): not counted twice.
    nonces, outgoing = core.pending_summary(ALICE.address_bytes, infos, min_nonce=8)
    assert nonces == {8} and outgoing == 55


def items(*amounts: int, fee: int | None = None) -> list[core.BatchItem]:
    return [core.BatchItem(BOB.address_bytes, a, fee) for a in amounts]


def test_batch_nonces_are_consecutive_after_pending_and_fees_estimated() -> None:
    plans = core.plan_batch(
        items(10, 20, 30), CHAIN, view(10**9, nonce=2, pending=frozenset({2})), key_of(ALICE), "a"
    )
    assert [p.tx.nonce for p in plans] == [3, 4, 5]
    for p in plans:
        assert p.tx.fee == FEES.min_fee(len(encode_transaction(p.tx)))


def test_batch_checks_the_balance_across_the_whole_batch() -> None:
    single_cost = 400 + FEES.min_fee(200)  # generous
    balance = single_cost * 2  # any one transfer fits, three do not
    with pytest.raises(WalletError) as info:
        core.plan_batch(items(400, 400, 400), CHAIN, view(balance), key_of(ALICE), "account 'a'")
    assert info.value.code is Code.FAILED_PRECONDITION
    assert "insufficient funds" in info.value.message and "whole batch of 3" in info.value.message
    # Pending spending counts too.
    with pytest.raises(WalletError):
        core.plan_batch(
            items(400), CHAIN, view(single_cost, out=single_cost - 1), key_of(ALICE), "a"
        )


@pytest.mark.parametrize(
    "batch,fragment",
    [
        ([], "at least one"),
        (items(1, 0), "transfers[1]: amount"),
        (items(5, fee=1), "transfers[0]: fee 1 is below"),
        (items(*([1] * (core.MAX_BATCH + 1))), "at most"),
    ],
)
def test_batch_rejects_bad_transfers_by_index(batch: list, fragment: str) -> None:
    with pytest.raises(WalletError) as info:
        core.plan_batch(batch, CHAIN, view(10**15), key_of(ALICE), "a")
    assert info.value.code is Code.INVALID_ARGUMENT
    assert fragment in info.value.message


def test_renonce_keeps_a_given_fee_and_re_estimates_otherwise() -> None:
    plans = core.plan_batch(
        [core.BatchItem(BOB.address_bytes, 5, 50_000), core.BatchItem(BOB.address_bytes, 5, None)],
        CHAIN,
        view(10**12, nonce=300),
        key_of(ALICE),
        "a",
    )
    core.renonce(plans[0], 5, FEES)
    assert plans[0].tx.fee == 50_000 and plans[0].tx.nonce == 5
    tx_bytes = core.renonce(plans[1], 6, FEES)
    assert plans[1].tx.fee == FEES.min_fee(len(tx_bytes))


def policy(threshold: int, *signers: Signer) -> types_pb2.MultiSigPolicy:
    return types_pb2.MultiSigPolicy(threshold=threshold, public_keys=[key_of(s) for s in signers])


def test_policy_is_sorted_and_addressed_like_the_chain() -> None:
    p, address = core.normalize_policy(policy(2, CAROL, BOB, ALICE))
    keys = [bytes(k.key) for k in p.public_keys]
    assert keys == sorted(keys)
    assert address == multisig_address(p)


@pytest.mark.parametrize(
    "bad,fragment",
    [
        (policy(3, ALICE, BOB), "threshold"),
        (policy(0, ALICE, BOB), "threshold"),
        (policy(1), "1..16"),
        (policy(1, ALICE, ALICE), "twice"),
        (
            types_pb2.MultiSigPolicy(
                threshold=1, public_keys=[types_pb2.PublicKey(key_type=1, key=b"x")]
            ),
            "32 bytes",
        ),
    ],
)
def test_bad_policies_are_invalid_argument(bad: types_pb2.MultiSigPolicy, fragment: str) -> None:
    with pytest.raises(WalletError) as info:
        core.normalize_policy(bad)
    assert info.value.code is Code.INVALID_ARGUMENT and fragment in info.value.message


def ms_tx(p: types_pb2.MultiSigPolicy, address: bytes) -> bytes:
    tx = core.base_tx(CHAIN, address, 0)
    tx.sender_multisig.CopyFrom(p)
    tx.transfer.to = BOB.address_bytes
    tx.transfer.amount = 9
    return core.fill_fee(tx, FEES, None)


def test_collect_signatures_local_and_external_reach_the_threshold() -> None:
    p, address = core.normalize_policy(policy(2, ALICE, BOB, CAROL))
    tx_bytes = ms_tx(p, address)
    carol_sig = CAROL.sign(tx_bytes)
    sigs = core.collect_signatures(tx_bytes, p, [("alice", ALICE)], [(key_of(CAROL), carol_sig)])
    assert [s.key_index for s in sigs] == sorted(s.key_index for s in sigs)
    assert len(sigs) == 2
    signed = types_pb2.SignedTransaction(
        tx_bytes=tx_bytes, multisig_signatures=sigs, tx_hash=core.tx_hash(tx_bytes)
    )
    decode_and_verify(signed, CHAIN.chain_id)  # the chain accepts it
    # One key signing twice still counts once.
    again = core.collect_signatures(
        tx_bytes, p, [("alice", ALICE)], [(key_of(ALICE), ALICE.sign(tx_bytes))]
    )
    assert len(again) == 1


def test_collect_signatures_rejects_strangers_and_bad_signatures() -> None:
    p, address = core.normalize_policy(policy(2, ALICE, BOB))
    tx_bytes = ms_tx(p, address)
    with pytest.raises(WalletError) as info:
        core.collect_signatures(tx_bytes, p, [("carol", CAROL)], [])
    assert info.value.code is Code.INVALID_ARGUMENT and "'carol'" in info.value.message
    with pytest.raises(WalletError) as info:
        core.collect_signatures(tx_bytes, p, [], [(key_of(BOB), ALICE.sign(tx_bytes))])
    assert "not a valid signature" in info.value.message
    with pytest.raises(WalletError) as info:
        core.collect_signatures(tx_bytes, p, [], [(key_of(CAROL), CAROL.sign(tx_bytes))])
    assert "not in the policy" in info.value.message


def test_balance_delta_and_direction() -> None:
    a, b = ALICE.address_bytes, BOB.address_bytes

    def info(sender: bytes, to: bytes, amount: int, fee: int, status: int):
        i = types_pb2.TransactionInfo()
        i.transaction.sender = sender
        i.transaction.transfer.to = to
        i.transaction.transfer.amount = amount
        i.receipt.status = status
        i.receipt.fee_paid = fee
        return i

    ok, failed = types_pb2.TRANSACTION_STATUS_SUCCESS, types_pb2.TRANSACTION_STATUS_FAILED
    assert core.balance_delta(a, info(a, b, 100, 3, ok)) == -103
    assert core.balance_delta(b, info(a, b, 100, 3, ok)) == 100
    assert core.balance_delta(a, info(a, a, 100, 3, ok)) == -3
    assert core.balance_delta(a, info(a, b, 100, 3, failed)) == -3
    assert core.balance_delta(b, info(a, b, 100, 3, failed)) == 0
    pending = info(a, b, 100, 3, types_pb2.TRANSACTION_STATUS_PENDING)
    assert core.balance_delta(a, pending) == 0
    t = info(a, b, 1, 1, ok).transaction
    assert (core.direction(a, t), core.direction(b, t), core.direction(b"z" * 20, t)) == (2, 1, 0)
    assert core.direction(a, info(a, a, 1, 1, ok).transaction) == 3


@pytest.mark.parametrize(
    "text,fragment", [("", "required"), ("gh1zz", "not a valid address"), ("nope", "not a valid")]
)
def test_address_arguments(text: str, fragment: str) -> None:
    with pytest.raises(WalletError) as info:
        core.parse_address_arg(text, "to_address")
    assert info.value.code is Code.INVALID_ARGUMENT and fragment in info.value.message
    assert "to_address" in info.value.message
