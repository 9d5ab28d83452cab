"""Transactions: encoding, signing, verification and multisig."""

from __future__ import annotations

import pytest
from gc_helpers import ALICE, BOB, CAROL_K1, CHAIN, FEE, signed
from ghost.node.v1 import types_pb2
from ghostchain import keys as K
from ghostchain import tx as T
from ghostchain.errors import TxError, TxErrorCode
from ghostchain.fees import DEFAULT_FEE_SCHEDULE, FeeSchedule
from ghostchain.genesis import dev_account
from zcrypto import KeyType
from zcrypto.hashes import blake3


def code_of(fn, *args, **kwargs) -> TxErrorCode:
    with pytest.raises(TxError) as info:
        fn(*args, **kwargs)
    assert str(info.value)  # a message a person can read
    return info.value.code


def test_fee_schedule_min_fee_and_validation():
    fs = FeeSchedule(base_fee=1000, fee_per_byte=10)
    assert fs.min_fee(0) == 1000
    assert fs.min_fee(200) == 3000
    assert FeeSchedule.from_proto(fs.to_proto()) == fs
    with pytest.raises(ValueError):
        FeeSchedule(base_fee=-1, fee_per_byte=0)
    with pytest.raises(ValueError):
        fs.min_fee(-1)
    assert DEFAULT_FEE_SCHEDULE.min_fee(100) == 2000


@pytest.mark.parametrize("account", [ALICE, CAROL_K1], ids=["ed25519", "secp256k1"])
def test_sign_and_verify_round_trip(account):
    stx = signed(account, T.transfer(BOB.address, 7))
    assert stx.tx_hash == blake3(stx.tx_bytes)
    tx = T.decode_and_verify(stx, CHAIN)
    assert tx.sender == account.address
    assert tx.transfer.amount == 7
    assert tx.transfer.to == BOB.address


def test_encoding_is_deterministic_for_maps():
    a = T.register_identity("me", metadata={"z": "1", "a": "2", "m": "3"})
    b = T.register_identity("me", metadata={"m": "3", "a": "2", "z": "1"})
    ta = T.build_transaction(chain_id=CHAIN, sender=ALICE.key_proto(), nonce=0, fee=1, payload=a)
    tb = T.build_transaction(chain_id=CHAIN, sender=ALICE.key_proto(), nonce=0, fee=1, payload=b)
    tb.timestamp.CopyFrom(ta.timestamp)
    assert T.encode_transaction(ta) == T.encode_transaction(tb)


def test_sign_transaction_refuses_a_key_that_is_not_the_sender():
    tx = T.build_transaction(
        chain_id=CHAIN, sender=ALICE.key_proto(), nonce=0, fee=FEE, payload=T.transfer(b"x" * 20, 1)
    )
    with pytest.raises(ValueError, match="does not match"):
        T.sign_transaction(tx, BOB.key_type, BOB.secret)


def test_tampered_signature_is_rejected():
    stx = signed(ALICE, T.transfer(BOB.address, 7))
    stx.signature = bytes([stx.signature[0] ^ 1]) + stx.signature[1:]
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.BAD_SIGNATURE


def test_signature_by_another_key_is_rejected():
    stx = signed(ALICE, T.transfer(BOB.address, 7))
    stx.signature = K.sign_message(BOB.key_type, BOB.secret, stx.tx_bytes)
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.BAD_SIGNATURE


def test_missing_signature_is_rejected():
    stx = signed(ALICE, T.transfer(BOB.address, 7))
    stx.signature = b""
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.BAD_SIGNATURE


def test_tampered_bytes_break_hash_then_signature():
    stx = signed(ALICE, T.transfer(BOB.address, 7))
    tx = types_pb2.Transaction.FromString(stx.tx_bytes)
    tx.transfer.amount = 7_000_000
    stx.tx_bytes = T.encode_transaction(tx)
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.HASH_MISMATCH
    stx.tx_hash = blake3(stx.tx_bytes)  # an attacker fixes the hash: the signature still fails
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.BAD_SIGNATURE


def test_missing_hash_and_malformed_bytes():
    stx = signed(ALICE, T.transfer(BOB.address, 7))
    stx.tx_hash = b""
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.HASH_MISMATCH
    junk = types_pb2.SignedTransaction(tx_bytes=b"\xff\xff\xff", tx_hash=blake3(b"\xff\xff\xff"))
    assert code_of(T.decode_and_verify, junk, CHAIN) is TxErrorCode.MALFORMED
    empty = types_pb2.SignedTransaction()
    assert code_of(T.decode_and_verify, empty, CHAIN) is TxErrorCode.MALFORMED


def test_wrong_chain_is_rejected():
    stx = signed(ALICE, T.transfer(BOB.address, 7), chain="other-chain")
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.WRONG_CHAIN


def test_oversized_transaction_is_rejected():
    stx = signed(ALICE, T.register_identity("big", metadata={"k": "v" * 1000}))
    assert len(stx.tx_bytes) > 512
    assert code_of(T.decode_and_verify, stx, CHAIN, max_tx_size=512) is TxErrorCode.TOO_LARGE
    T.decode_and_verify(stx, CHAIN, max_tx_size=len(stx.tx_bytes))


def test_sender_must_match_key():
    tx = T.build_transaction(
        chain_id=CHAIN,
        sender=ALICE.key_proto(),
        nonce=0,
        fee=FEE,
        payload=T.transfer(BOB.address, 1),
    )
    tx.sender = BOB.address
    stx = T.sign_transaction(tx, ALICE.key_type, ALICE.secret)
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.SENDER_MISMATCH


@pytest.mark.parametrize(
    "payload, fragment",
    [
        (T.transfer(BOB.address, 0), "greater than 0"),
        (T.transfer(b"short", 5), "20-byte"),
        (T.register_domain("Alice.ghost"), "lowercase"),
        (T.register_domain("alice.com"), "top-level"),
        (T.register_domain("alice"), "top-level"),
        (T.register_domain("-bad.ghost"), "invalid label"),
        (T.set_record("alice.ghost", T.record(types_pb2.RECORD_TYPE_A, "999.1.1.1")), "IP"),
        (T.set_record("alice.ghost", T.record(types_pb2.RECORD_TYPE_AAAA, "1.2.3.4")), "IP"),
        (T.set_record("alice.ghost", T.record(types_pb2.RECORD_TYPE_ETH, "0x12")), "0x"),
        (T.set_record("alice.ghost", T.record(types_pb2.RECORD_TYPE_SRV, "sip.x.ghost")), "port"),
        (T.set_record("alice.ghost", T.record(types_pb2.RECORD_TYPE_TXT, "")), "empty"),
        (T.set_record("alice.ghost", T.record(0, "x")), "type"),
        (T.delete_record("alice.ghost", 0), "record_type"),
        (T.register_identity("Bad Name"), "identity name"),
        (T.register_identity("ok", metadata={"k": "x" * 1025}), "1024"),
        (T.register_identity("ok", metadata={"k": ""}), "empty"),
    ],
)
def test_static_payload_rules(payload, fragment):
    stx = signed(ALICE, payload)
    with pytest.raises(TxError) as info:
        T.decode_and_verify(stx, CHAIN)
    assert info.value.code is TxErrorCode.MALFORMED
    assert fragment in str(info.value)


def test_valid_records_pass():
    for rec in [
        T.record(types_pb2.RECORD_TYPE_A, "10.0.0.1", host="www"),
        T.record(types_pb2.RECORD_TYPE_AAAA, "2001:db8::1"),
        T.record(types_pb2.RECORD_TYPE_GHOST, "::1"),
        T.record(types_pb2.RECORD_TYPE_MX, "mail.alice.ghost", priority=10),
        T.record(types_pb2.RECORD_TYPE_SRV, "sip.alice.ghost", host="_sip._udp", port=5060),
        T.record(types_pb2.RECORD_TYPE_ETH, "0x" + "ab" * 20),
        T.record(types_pb2.RECORD_TYPE_TXT, "hello world"),
    ]:
        T.decode_and_verify(signed(ALICE, T.set_record("alice.ghost", rec)), CHAIN)


def test_grpc_status_mapping():
    assert TxErrorCode.BAD_SIGNATURE.grpc_status == "INVALID_ARGUMENT"
    assert TxErrorCode.NONCE_TOO_LOW.grpc_status == "FAILED_PRECONDITION"
    assert TxErrorCode.INSUFFICIENT_FUNDS.grpc_status == "FAILED_PRECONDITION"
    assert TxErrorCode.DUPLICATE.grpc_status == "ALREADY_EXISTS"
    assert TxErrorCode.NOT_OWNER.grpc_status == "PERMISSION_DENIED"
    assert all(code.grpc_status for code in TxErrorCode)


# ------------------------------------------------------------------ multisig


MEMBERS = sorted(
    [dev_account(f"ms{i}") for i in range(3)] + [dev_account("ms3", KeyType.SECP256K1)],
    key=lambda a: a.public_key,
)


def policy(threshold: int, members=MEMBERS) -> types_pb2.MultiSigPolicy:
    return types_pb2.MultiSigPolicy(
        threshold=threshold, public_keys=[m.key_proto() for m in members]
    )


def test_multisig_address_matches_the_contract_formula():
    p = policy(2)
    expected = b"ghost-multisig-v1" + (2).to_bytes(4, "big") + len(MEMBERS).to_bytes(4, "big")
    for m in MEMBERS:
        expected += bytes([int(m.key_type), len(m.public_key)]) + m.public_key
    assert K.multisig_address(p) == blake3(expected)[:20]
    assert K.multisig_address(p) != K.multisig_address(policy(3))


@pytest.mark.parametrize(
    "threshold, members, fragment",
    [
        (0, MEMBERS, "threshold"),
        (5, MEMBERS, "threshold"),
        (1, list(reversed(MEMBERS)), "ascending"),
        (1, [MEMBERS[0], MEMBERS[0]], "ascending"),
        (1, [], "1..16"),
    ],
)
def test_invalid_multisig_policies(threshold, members, fragment):
    with pytest.raises(ValueError, match=fragment):
        K.multisig_address(policy(threshold, members))


def multisig_tx(threshold: int, signers, *, payload=None):
    p = policy(threshold)
    tx = T.build_transaction(
        chain_id=CHAIN, sender=p, nonce=0, fee=FEE, payload=payload or T.transfer(BOB.address, 3)
    )
    tx_bytes = T.encode_transaction(tx)
    sigs = [T.multisig_signature(p, tx_bytes, m.key_type, m.secret) for m in signers]
    return T.assemble_multisig(tx_bytes, sigs), p


def test_multisig_threshold_met():
    stx, p = multisig_tx(2, [MEMBERS[3], MEMBERS[1]])
    assert [s.key_index for s in stx.multisig_signatures] == [1, 3]
    tx = T.decode_and_verify(stx, CHAIN)
    assert tx.sender == K.multisig_address(p)


def test_multisig_threshold_not_met():
    stx, _ = multisig_tx(3, [MEMBERS[0], MEMBERS[2]])
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.THRESHOLD_NOT_MET


def test_multisig_duplicate_signer_does_not_count_twice():
    stx, _ = multisig_tx(2, [MEMBERS[0]])
    stx.multisig_signatures.append(stx.multisig_signatures[0])
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.BAD_SIGNATURE


def test_multisig_bad_member_signature_and_out_of_range_index():
    stx, _ = multisig_tx(2, [MEMBERS[0], MEMBERS[1]])
    stx.multisig_signatures[1].signature = b"\x00" * 64
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.BAD_SIGNATURE
    stx2, _ = multisig_tx(1, [MEMBERS[0]])
    stx2.multisig_signatures[0].key_index = 9
    assert code_of(T.decode_and_verify, stx2, CHAIN) is TxErrorCode.BAD_SIGNATURE


def test_multisig_must_not_carry_a_single_signature_and_non_member_cannot_sign():
    stx, p = multisig_tx(1, [MEMBERS[0]])
    stx.signature = b"\x01" * 64
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.BAD_SIGNATURE
    with pytest.raises(ValueError, match="not a member"):
        T.multisig_signature(p, stx.tx_bytes, ALICE.key_type, ALICE.secret)


def test_multisig_sender_must_be_policy_address():
    p = policy(1)
    tx = T.build_transaction(
        chain_id=CHAIN, sender=p, nonce=0, fee=FEE, payload=T.transfer(BOB.address, 3)
    )
    tx.sender = ALICE.address
    tx_bytes = T.encode_transaction(tx)
    stx = T.assemble_multisig(
        tx_bytes, [T.multisig_signature(p, tx_bytes, MEMBERS[0].key_type, MEMBERS[0].secret)]
    )
    assert code_of(T.decode_and_verify, stx, CHAIN) is TxErrorCode.SENDER_MISMATCH


def test_multisig_address_lives_in_zcrypto():
    from zcrypto import address as zaddr
    from zcrypto.errors import InvalidKeyError

    keys = [(m.key_type, m.public_key) for m in MEMBERS]
    assert K.derive_multisig_address is zaddr.derive_multisig_address
    assert zaddr.derive_multisig_address(2, keys) == K.multisig_address(policy(2))
    assert zaddr.derive_multisig_address(2, keys) != zaddr.derive_address(*keys[0])
    with pytest.raises(InvalidKeyError, match="key 1"):
        zaddr.derive_multisig_address(1, [keys[0], (KeyType.ED25519, b"\x01" * 31)])
    with pytest.raises(InvalidKeyError, match="unknown key type"):
        zaddr.derive_multisig_address(1, [(9, b"\x01" * 32)])
