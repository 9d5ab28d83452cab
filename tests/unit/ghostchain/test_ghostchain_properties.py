"""Property tests: whatever sequence of transactions is applied, value is conserved, nonces
advance by one per applied transaction, and refused transactions change nothing."""

from __future__ import annotations

from gc_helpers import CHAIN, VALIDATOR, ctx, fresh_state
from ghost.node.v1 import types_pb2 as pb
from ghostchain import state as S
from ghostchain import tx as T
from ghostchain.errors import TxError
from ghostchain.genesis import dev_account
from hypothesis import event, given, settings
from hypothesis import strategies as st

PEOPLE = [dev_account(x) for x in ("alice", "bob", "poor1", "poor2")]
KINDS = ("transfer", "register", "set_record", "delete")


def total(state: S.MemoryState) -> int:
    return sum(acc.balance for acc in state.accounts.values())


step = st.tuples(
    st.integers(0, len(PEOPLE) - 1),  # sender
    st.integers(0, len(PEOPLE) - 1),  # recipient
    st.integers(1, 3 * 10**15),  # amount: sometimes more than anyone has
    st.integers(-1, 1),  # nonce offset: replay, exact, gap
    st.sampled_from([0, 1, 10**6, 10**6, 10**6]),  # fee: zero, too low, fine (mostly)
    st.sampled_from(KINDS),
    st.sampled_from(["a.ghost", "b.ghost"]),
    st.booleans(),  # strict
)


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=25))
def test_value_is_conserved_and_nonces_advance(steps):
    state = fresh_state()
    supply = total(state)
    for height, (si, ri, amount, off, fee, kind, name, strict) in enumerate(steps, start=1):
        sender, to = PEOPLE[si], PEOPLE[ri]
        before = state.get_account(sender.address)
        nonce = max(0, (before.nonce if before else 0) + off)
        if kind == "transfer":
            payload = T.transfer(to.address, amount)
        elif kind == "register":
            payload = T.register_domain(name)
        elif kind == "set_record":
            payload = T.set_record(name, T.record(pb.RECORD_TYPE_TXT, "x"))
        else:
            payload = T.delete_domain(name)
        tx = T.build_transaction(
            chain_id=CHAIN, sender=sender.key_proto(), nonce=nonce, fee=fee, payload=payload
        )
        stx = T.sign_transaction(tx, sender.key_type, sender.secret)
        snapshot = (dict(state.accounts), dict(state.domains))
        try:
            out = S.apply_transaction(
                state, stx, T.decode_and_verify(stx, CHAIN), ctx(height), strict=strict
            )
        except TxError as exc:
            event(f"refused {exc.code.name}")
            assert (dict(state.accounts), dict(state.domains)) == snapshot  # nothing changed
        else:
            after = state.get_account(sender.address)
            assert after.nonce == (before.nonce if before else 0) + 1
            assert out.fee_paid == fee
            event(f"applied {pb.TransactionStatus.Name(out.status)}")
            if out.status == pb.TRANSACTION_STATUS_FAILED:
                assert not strict and out.error
        assert total(state) == supply  # fees move to the validator, nothing is minted
    validator = state.get_account(VALIDATOR.address)
    assert (validator.balance if validator else 0) >= 0
