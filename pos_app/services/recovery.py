"""Recovery: settle what the journal has not seen finish, by asking JustiFi.

After a crash, a lost answer or a "check again", an operation is rebuilt from
its journal record (`state_of`) and JustiFi is asked what became of it, with
the same idempotency keys, so nothing is charged twice. What cannot be settled
stays `unresolved`, never a decline.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Protocol

from pos_app.domain.payment_flow import (
    DeadlinePassed,
    PaymentKind,
    PaymentState,
    SendRefused,
    StateName,
    initial_state,
    is_final,
)
from pos_app.services.payment_run import Engine, Run, apply_observation, log
from pos_app.services.ports import (
    GatewayError,
    Observation,
    Operation,
    OutcomeKind,
    PaymentGateway,
    SessionRef,
)
from pos_app.services.retry import trouble_reason

NOT_SENT = "not_sent"


class GatewayEngine(Engine, Protocol):
    """What recovery needs of the engine: a run's needs and the gateway."""

    gateway: PaymentGateway


class Recovery:
    """The engine's recovery: `check_again` for one operation, `recover` for all."""

    def __init__(self, engine: GatewayEngine) -> None:
        self.engine = engine

    async def check_again(self, operation_id: str) -> PaymentState | None:
        """Ask JustiFi once more about one operation (the "Check again" button)."""
        operation = self.engine.journal.get(operation_id)
        if operation is None:
            return None
        return await self._reconcile(operation)

    async def recover(self) -> list[Operation]:
        """Settle every operation the journal has not seen finish; returns them, updated.

        Afterwards none is left in progress: each is final, or `unresolved` when
        JustiFi could not be reached (to be checked again).
        """
        settled = []
        for operation in self.engine.journal.unfinished():
            await self._reconcile(operation)
            settled.append(self.engine.journal.get(operation.id) or operation)
        return settled

    async def _reconcile(self, op: Operation) -> PaymentState:
        state = state_of(op)
        run = Run(self.engine, op, state, None)
        try:
            if op.kind is PaymentKind.CHARGE:
                await self._reconcile_charge(run)
            elif op.refund_mode == "terminal":
                await self._reconcile_terminal_refund(run)
            else:
                await self._reconcile_direct(run)
        except asyncio.CancelledError:
            raise
        except GatewayError as exc:
            log.warning("recovery of %s could not settle it: %s", op.id, trouble_reason(exc))
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the others' recovery
            run.note_bug(exc)
        if not is_final(run.state) or run.state.name is StateName.UNRESOLVED:
            await run.apply(DeadlinePassed())
        return run.state

    async def observe_once(self, run: Run) -> Observation | None:
        """One look at JustiFi for a run whose steps broke (None: nothing to ask yet)."""
        op = run.operation
        if run.ref is not None:
            if op.kind is PaymentKind.CHARGE:
                return await self.engine.gateway.sale_outcome(run.ref)
            return await self.engine.gateway.terminal_refund_outcome(run.ref)
        if op.kind is PaymentKind.CHARGE and op.sale_id:
            observation = await self.engine.gateway.sale_state(op.sale_id, op.terminal_id)
            return None if observation.code == NOT_SENT else observation
        if op.payment_id and op.refund_mode != "terminal":
            payment = await self.engine.gateway.payment_details(op.payment_id)
            if op.kind is PaymentKind.VOID:
                return await self.engine.gateway.void(payment, op.create_key)
            return await self.engine.gateway.refund_to_card(
                payment, op.amount_cents, op.reason, op.create_key
            )
        return None

    async def _reconcile_charge(self, run: Run) -> None:
        op = run.operation
        sale_id = op.sale_id or await self.engine.gateway.find_sale(op.id)
        if sale_id is None:
            await run.apply(SendRefused(NOT_SENT, None))
            return
        op.sale_id = sale_id
        while True:
            observation = await self.engine.gateway.sale_state(sale_id, op.terminal_id)
            if observation.kind is not OutcomeKind.PENDING:
                if observation.kind is OutcomeKind.CANCELLED and observation.code == NOT_SENT:
                    await run.apply(SendRefused(NOT_SENT, None))
                else:
                    await apply_observation(run, observation)
                return
            if run.expired():
                return
            await self.engine.sleep(self.engine.settings.poll_interval)

    async def _reconcile_terminal_refund(self, run: Run) -> None:
        op = run.operation
        if op.payment_id is None:
            await run.apply(SendRefused(NOT_SENT, None))
            return
        if op.session_id and op.sale_id and op.terminal_id:
            ref = SessionRef(
                op.sale_id,
                op.terminal_id,
                op.session_id,
                op.created_at,
                baseline=0,
                payment_id=op.payment_id,
            )
            while not run.expired():
                observation = await self.engine.gateway.terminal_refund_outcome(ref)
                if await apply_observation(run, observation) or (
                    observation.kind is not OutcomeKind.PENDING
                ):
                    return
                await self.engine.sleep(self.engine.settings.poll_interval)
            return
        found = await self.engine.gateway.find_refund(op.payment_id, op.amount_cents, op.created_at)
        if found is not None:
            await apply_observation(run, found)
        else:
            await run.apply(SendRefused(NOT_SENT, None))

    async def _reconcile_direct(self, run: Run) -> None:
        op = run.operation
        if op.payment_id is None:
            await run.apply(SendRefused(NOT_SENT, None))
            return
        payment = await self.engine.gateway.payment_details(op.payment_id)
        # The same key replays the first answer if the request got through, or
        # carries out what the manager asked for if it never did.
        if op.kind is PaymentKind.VOID:
            observation = await self.engine.gateway.void(payment, op.create_key)
        else:
            observation = await self.engine.gateway.refund_to_card(
                payment, op.amount_cents, op.reason, op.create_key
            )
        await apply_observation(run, observation)


def state_of(op: Operation) -> PaymentState:
    """Rebuild the machine's state from a journaled operation, for recovery.

    What matters is whether anything may have reached a terminal: before a
    confirmed send the state allows "never sent" (cancelled, nothing charged);
    after it only an outcome from JustiFi can settle it.
    """
    state = initial_state(op.kind, op.amount_cents, op.terminal_id)
    direct = op.kind is PaymentKind.VOID or op.refund_mode == "card"
    if op.session_id is None and not direct:
        name = StateName.SENDING if op.sale_id else StateName.PREPARING
    elif op.status == StateName.UNRESOLVED.value:
        name = StateName.UNRESOLVED
    else:
        name = StateName.WAITING
    return replace(
        state,
        name=name,
        intent_id=op.sale_id,
        payment_id=op.payment_id,
        refund_id=op.refund_id,
        card_brand=op.card_brand,
        card_last4=op.card_last4,
    )
