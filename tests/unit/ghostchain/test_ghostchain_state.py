"""State transitions: nonces, balances, fees, domains, identities, multisig accounts."""

from __future__ import annotations

import pytest
from gc_helpers import (
    ALICE,
    BOB,
    CAROL_K1,
    CHAIN,
    FEE,
    FEES,
    GENESIS,
    VALIDATOR,
    apply,
    balance,
    ctx,
    fresh_state,
    signed,
)
from ghost.node.v1 import types_pb2 as pb
from ghostchain import keys as K
from ghostchain import state as S
from ghostchain import tx as T
from ghostchain.errors import TxError, TxErrorCode
from ghostchain.genesis import DEV_ACCOUNT_BALANCE, dev_account
from zcrypto import KeyType

SUCCESS = pb.TRANSACTION_STATUS_SUCCESS
FAILED = pb.TRANSACTION_STATUS_FAILED


def refused(st, stx, code: TxErrorCode, *, strict: bool = False, fragment: str = "") -> None:
    with pytest.raises(TxError) as info:
        apply(st, stx, strict=strict)
    assert info.value.code is code, info.value
    assert fragment in str(info.value)


def test_transfer_moves_funds_and_pays_fee_to_validator():
    st = fresh_state()
    out = apply(st, signed(ALICE, T.transfer(BOB.address, 5_000)))
    assert out.status == SUCCESS and out.fee_paid == FEE
    assert balance(st, ALICE) == DEV_ACCOUNT_BALANCE - 5_000 - FEE
    assert balance(st, BOB) == DEV_ACCOUNT_BALANCE + 5_000
    assert balance(st, VALIDATOR) == FEE
    acc = st.get_account(ALICE.address)
    assert acc.nonce == 1 and acc.public_key.key == ALICE.public_key and acc.updated_height == 1


def test_transfer_to_new_account_creates_it():
    st = fresh_state()
    fresh = dev_account("nobody-yet")
    apply(st, signed(CAROL_K1, T.transfer(fresh.address, 42)))
    acc = st.get_account(fresh.address)
    assert acc.balance == 42 and acc.nonce == 0 and acc.address.startswith("gh1")


def test_replayed_nonce_is_refused():
    st = fresh_state()
    stx = signed(ALICE, T.transfer(BOB.address, 1), nonce=0)
    apply(st, stx)
    refused(st, stx, TxErrorCode.NONCE_TOO_LOW, fragment="already used")


def test_gapped_nonce_is_refused():
    st = fresh_state()
    refused(
        st,
        signed(ALICE, T.transfer(BOB.address, 1), nonce=1),
        TxErrorCode.NONCE_TOO_HIGH,
        fragment="gap",
    )


def test_sequential_nonces_apply():
    st = fresh_state()
    for n in range(3):
        assert apply(st, signed(ALICE, T.transfer(BOB.address, 1), nonce=n)).ok
    assert st.get_account(ALICE.address).nonce == 3


def test_fee_below_minimum_is_refused():
    st = fresh_state()
    stx = signed(ALICE, T.transfer(BOB.address, 1), fee=FEES.min_fee(50))
    minimum = FEES.min_fee(len(stx.tx_bytes))
    stx = signed(ALICE, T.transfer(BOB.address, 1), fee=minimum - 1)
    refused(st, stx, TxErrorCode.FEE_TOO_LOW, fragment="below the minimum")
    # Exactly the minimum is enough (the fee field width may change the size by a byte).
    exact = signed(ALICE, T.transfer(BOB.address, 1), fee=minimum)
    assert len(exact.tx_bytes) == len(stx.tx_bytes)
    assert apply(st, exact).ok


def test_insufficient_balance_for_fee_is_refused_without_side_effects():
    st = fresh_state()
    poor = dev_account("poor")
    apply(st, signed(ALICE, T.transfer(poor.address, FEE - 1)))
    before = st.get_account(poor.address)
    refused(st, signed(poor, T.transfer(BOB.address, 1)), TxErrorCode.INSUFFICIENT_FUNDS)
    assert st.get_account(poor.address) == before


def test_insufficient_balance_for_amount_strict_refuses_nonstrict_fails_and_charges_fee():
    st = fresh_state()
    poor = dev_account("poor")
    apply(st, signed(ALICE, T.transfer(poor.address, FEE + 10)))
    stx = signed(poor, T.transfer(BOB.address, 11))
    refused(st, stx, TxErrorCode.INSUFFICIENT_FUNDS, strict=True)
    assert balance(st, poor) == FEE + 10  # strict: nothing written
    out = apply(st, stx)
    assert out.status == FAILED and "insufficient funds" in out.error
    assert balance(st, poor) == 10  # fee charged, amount not moved
    assert st.get_account(poor.address).nonce == 1
    assert balance(st, BOB) == DEV_ACCOUNT_BALANCE


def test_timestamp_far_in_future_is_refused():
    st = fresh_state()
    tx = T.build_transaction(
        chain_id=CHAIN,
        sender=ALICE.key_proto(),
        nonce=0,
        fee=FEE,
        payload=T.transfer(BOB.address, 1),
    )
    tx.timestamp.FromNanoseconds(ctx().timestamp_ns + S.MAX_FUTURE_NS + 1)
    stx = T.sign_transaction(tx, ALICE.key_type, ALICE.secret)
    refused(st, stx, TxErrorCode.TIMESTAMP_IN_FUTURE)


def test_self_transfer_and_validator_as_sender():
    st = fresh_state()
    apply(st, signed(ALICE, T.transfer(VALIDATOR.address, 10 * FEE)))
    v_before = balance(st, VALIDATOR)
    apply(st, signed(VALIDATOR, T.transfer(VALIDATOR.address, 1)))
    assert balance(st, VALIDATOR) == v_before  # pays the fee to itself, sends to itself


# ------------------------------------------------------------------ domains


def register(st, owner=ALICE, name="alice.ghost", nonce=0, **kw):
    return apply(st, signed(owner, T.register_domain(name, **kw), nonce=nonce))


def test_register_domain_and_event():
    st = fresh_state()
    rec = T.record(pb.RECORD_TYPE_A, "10.0.0.1", host="www")
    out = register(st, records=[rec], ttl=60)
    assert out.ok
    d = st.get_domain("alice.ghost")
    assert d.owner == ALICE.address and d.ttl == 60 and list(d.records) == [rec]
    assert d.registered_height == 1
    (ev,) = out.domain_events
    assert ev.type == pb.DOMAIN_EVENT_TYPE_REGISTERED and ev.height == 1 and ev.name == d.name
    assert ev.domain.owner_address == ALICE.address_text
    # The identity key defaults to the owner's account key.
    assert ev.domain.owner_public_key.key == ALICE.public_key


def test_register_default_ttl_owner_and_explicit_key():
    st = fresh_state()
    out = apply(
        st,
        signed(
            ALICE,
            T.register_domain(
                "gift.ghost", owner=BOB.address, owner_public_key=CAROL_K1.key_proto()
            ),
        ),
    )
    assert out.ok
    d = st.get_domain("gift.ghost")
    assert d.owner == BOB.address and d.ttl == 3600
    assert S.domain_view(st, d).owner_public_key.key == CAROL_K1.public_key


def test_register_existing_domain_is_refused():
    st = fresh_state()
    register(st)
    stx = signed(BOB, T.register_domain("alice.ghost"))
    refused(st, stx, TxErrorCode.ALREADY_EXISTS, strict=True)
    out = apply(st, stx)
    assert out.status == FAILED and st.get_domain("alice.ghost").owner == ALICE.address


def test_subdomain_of_someone_elses_domain_is_refused_but_owner_may():
    st = fresh_state()
    register(st)
    refused(
        st, signed(BOB, T.register_domain("www.alice.ghost")), TxErrorCode.NOT_OWNER, strict=True
    )
    assert register(st, name="shop.alice.ghost", nonce=1).ok


NON_OWNER_PAYLOADS = [
    T.update_domain("alice.ghost", ttl=5),
    T.transfer_domain("alice.ghost", BOB.address),
    T.delete_domain("alice.ghost"),
    T.set_record("alice.ghost", T.record(pb.RECORD_TYPE_TXT, "pwned")),
    T.delete_record("alice.ghost", pb.RECORD_TYPE_A, "www"),
]


@pytest.mark.parametrize("payload", NON_OWNER_PAYLOADS, ids=lambda p: type(p).__name__)
def test_non_owner_cannot_change_a_domain(payload):
    st = fresh_state()
    register(st, records=[T.record(pb.RECORD_TYPE_A, "10.0.0.1", host="www")])
    before = st.get_domain("alice.ghost")
    refused(st, signed(BOB, payload), TxErrorCode.NOT_OWNER, strict=True, fragment="owner")
    out = apply(st, signed(BOB, payload))
    assert out.status == FAILED and out.domain_events == []
    assert st.get_domain("alice.ghost") == before
    assert balance(st, BOB) == DEV_ACCOUNT_BALANCE - FEE  # the failed attempt still pays


@pytest.mark.parametrize("payload", NON_OWNER_PAYLOADS, ids=lambda p: type(p).__name__)
def test_changes_to_unknown_domain_fail(payload):
    refused(
        fresh_state(),
        signed(ALICE, payload),
        TxErrorCode.PRECONDITION,
        strict=True,
        fragment="not registered",
    )


def test_owner_updates_transfers_and_deletes():
    st = fresh_state()
    register(st, owner_public_key=CAROL_K1.key_proto())
    out = apply(st, signed(ALICE, T.update_domain("alice.ghost", ttl=120), nonce=1))
    assert out.domain_events[0].type == pb.DOMAIN_EVENT_TYPE_UPDATED
    assert st.get_domain("alice.ghost").ttl == 120
    out = apply(st, signed(ALICE, T.transfer_domain("alice.ghost", BOB.address), nonce=2))
    assert out.domain_events[0].type == pb.DOMAIN_EVENT_TYPE_TRANSFERRED
    d = st.get_domain("alice.ghost")
    assert d.owner == BOB.address and not d.HasField("owner_public_key")
    # The old owner lost control; the new one has it.
    refused(
        st,
        signed(ALICE, T.delete_domain("alice.ghost"), nonce=3),
        TxErrorCode.NOT_OWNER,
        strict=True,
    )
    out = apply(st, signed(BOB, T.delete_domain("alice.ghost")))
    (ev,) = out.domain_events
    assert ev.deleted and ev.type == pb.DOMAIN_EVENT_TYPE_DELETED and not ev.HasField("domain")
    assert st.get_domain("alice.ghost") is None
    assert register(st, owner=ALICE, nonce=3).ok  # the name is free again


def test_set_record_upserts_by_key_and_cname_is_single_valued():
    st = fresh_state()
    register(st)
    n = iter(range(1, 100))
    a1 = T.record(pb.RECORD_TYPE_A, "10.0.0.1", host="www", ttl=10)
    a2 = T.record(pb.RECORD_TYPE_A, "10.0.0.2", host="www")
    a1b = T.record(pb.RECORD_TYPE_A, "10.0.0.1", host="www", ttl=99)
    for rec in (a1, a2, a1b):
        apply(st, signed(ALICE, T.set_record("alice.ghost", rec), nonce=next(n)))
    recs = list(st.get_domain("alice.ghost").records)
    assert sorted((r.value, r.ttl) for r in recs) == [("10.0.0.1", 99), ("10.0.0.2", 0)]
    c1 = T.record(pb.RECORD_TYPE_CNAME, "a.other.ghost", host="m")
    c2 = T.record(pb.RECORD_TYPE_CNAME, "b.other.ghost", host="m")
    apply(st, signed(ALICE, T.set_record("alice.ghost", c1), nonce=next(n)))
    out = apply(st, signed(ALICE, T.set_record("alice.ghost", c2), nonce=next(n)))
    cnames = [r.value for r in st.get_domain("alice.ghost").records if r.type == c1.type]
    assert cnames == ["b.other.ghost"]
    assert out.domain_events[0].type == pb.DOMAIN_EVENT_TYPE_RECORD_SET


def test_delete_record_by_value_and_all_of_type_and_missing():
    st = fresh_state()
    recs = [
        T.record(pb.RECORD_TYPE_A, "10.0.0.1", host="www"),
        T.record(pb.RECORD_TYPE_A, "10.0.0.2", host="www"),
        T.record(pb.RECORD_TYPE_A, "10.0.0.3"),
        T.record(pb.RECORD_TYPE_TXT, "hi", host="www"),
    ]
    register(st, records=recs)
    apply(
        st,
        signed(ALICE, T.delete_record("alice.ghost", pb.RECORD_TYPE_A, "www", "10.0.0.1"), nonce=1),
    )
    assert len(st.get_domain("alice.ghost").records) == 3
    out = apply(st, signed(ALICE, T.delete_record("alice.ghost", pb.RECORD_TYPE_A, "www"), nonce=2))
    assert out.domain_events[0].type == pb.DOMAIN_EVENT_TYPE_RECORD_DELETED
    left = {(r.type, r.host, r.value) for r in st.get_domain("alice.ghost").records}
    assert left == {(pb.RECORD_TYPE_A, "", "10.0.0.3"), (pb.RECORD_TYPE_TXT, "www", "hi")}
    refused(
        st,
        signed(ALICE, T.delete_record("alice.ghost", pb.RECORD_TYPE_MX), nonce=3),
        TxErrorCode.PRECONDITION,
        strict=True,
        fragment="no matching MX",
    )


# ------------------------------------------------------------------ identities


def test_identity_register_update_merge_and_owner_only():
    st = fresh_state()
    out = apply(st, signed(ALICE, T.register_identity("alice", metadata={"email": "a@x"})))
    assert out.ok and out.domain_events == []
    ident = st.get_identity("alice")
    assert ident.owner == ALICE.address and ident.public_key.key == ALICE.public_key
    refused(st, signed(BOB, T.register_identity("alice")), TxErrorCode.ALREADY_EXISTS, strict=True)
    refused(
        st,
        signed(BOB, T.update_identity("alice", metadata={"email": "evil"})),
        TxErrorCode.NOT_OWNER,
        strict=True,
    )
    apply(
        st,
        signed(
            ALICE,
            T.update_identity(
                "alice", public_key=CAROL_K1.key_proto(), metadata={"email": "", "url": "https://a"}
            ),
            nonce=1,
        ),
    )
    ident = st.get_identity("alice")
    assert dict(ident.metadata) == {"url": "https://a"}
    assert ident.public_key.key == CAROL_K1.public_key and ident.updated_height == 1
    refused(
        st,
        signed(ALICE, T.update_identity("nobody"), nonce=2),
        TxErrorCode.PRECONDITION,
        strict=True,
    )


# ------------------------------------------------------------------ multisig accounts


def test_multisig_account_spends_with_threshold():
    members = sorted(
        [dev_account("m1"), dev_account("m2", KeyType.SECP256K1), dev_account("m3")],
        key=lambda a: a.public_key,
    )
    policy = pb.MultiSigPolicy(threshold=2, public_keys=[m.key_proto() for m in members])
    address = K.multisig_address(policy)
    st = fresh_state()
    apply(st, signed(ALICE, T.transfer(address, 10 * FEE)))
    tx = T.build_transaction(
        chain_id=CHAIN, sender=policy, nonce=0, fee=FEE, payload=T.transfer(BOB.address, 1000)
    )
    tx_bytes = T.encode_transaction(tx)
    sigs = [T.multisig_signature(policy, tx_bytes, m.key_type, m.secret) for m in members[:2]]
    out = apply(st, T.assemble_multisig(tx_bytes, sigs))
    assert out.ok
    acc = st.get_account(address)
    assert acc.balance == 10 * FEE - FEE - 1000 and acc.nonce == 1
    assert acc.multisig == policy
    # A multisig sender must name the identity key explicitly.
    tx = T.build_transaction(
        chain_id=CHAIN, sender=policy, nonce=1, fee=FEE, payload=T.register_identity("team")
    )
    tx_bytes = T.encode_transaction(tx)
    sigs = [T.multisig_signature(policy, tx_bytes, m.key_type, m.secret) for m in members[1:]]
    with pytest.raises(TxError, match="public_key"):
        apply(st, T.assemble_multisig(tx_bytes, sigs), strict=True)


# ------------------------------------------------------------------ overlays and blocks


def test_overlay_commit_and_discard():
    st = fresh_state()
    ov = S.Overlay(st)
    apply(ov, signed(ALICE, T.transfer(BOB.address, 1)))
    apply(ov, signed(ALICE, T.register_domain("x.ghost"), nonce=1))
    assert balance(st, BOB) == DEV_ACCOUNT_BALANCE and st.get_domain("x.ghost") is None
    ov.commit()
    assert balance(st, BOB) == DEV_ACCOUNT_BALANCE + 1 and st.get_domain("x.ghost") is not None
    ov2 = S.Overlay(st)
    apply(ov2, signed(ALICE, T.delete_domain("x.ghost"), nonce=2))
    assert ov2.get_domain("x.ghost") is None and st.get_domain("x.ghost") is not None
    assert ov2.deleted_domains() == ["x.ghost"]


def test_apply_transactions_names_the_failing_index():
    st = S.Overlay(fresh_state())
    items = [signed(ALICE, T.transfer(BOB.address, 1), nonce=n) for n in (0, 1, 5)]
    parsed = [(s, T.decode_and_verify(s, CHAIN)) for s in items]
    with pytest.raises(TxError, match="transaction 2"):
        S.apply_transactions(st, parsed, ctx())
    outs = S.apply_transactions(S.Overlay(fresh_state()), parsed[:2], ctx())
    assert [o.status for o in outs] == [SUCCESS, SUCCESS]


def test_genesis_funds_dev_accounts():
    st = fresh_state()
    for address, amount in GENESIS.allocations:
        assert st.get_account(address).balance == amount
