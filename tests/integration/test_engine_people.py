"""Who: the engine journals the person serving and the approver before anything is sent."""

from __future__ import annotations

from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.services.ports import HistoryQuery
from tests.support.lanes import TestLane, collect
from tests.support.sandbox import SandboxHandle


async def test_the_server_is_journaled_before_any_request(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    before = sandbox.stats()["requests"]
    run = await test_lane.service.charge(1234, "trm_virtual", "tea", served_by=" Ann ")

    # The run is handed out but not iterated: nothing has left, yet the journal knows who.
    assert sandbox.stats()["requests"] == before
    op = test_lane.journal.get(run.operation.id)
    assert op is not None
    assert (op.status, op.served_by, op.approved_by) == ("preparing", "Ann", None)

    states: list[PaymentState] = []
    async for state in run:
        states.append(state)
        if state.name is StateName.WAITING:
            sandbox.present("trm_virtual")
    assert states[-1].name is StateName.APPROVED
    op = test_lane.journal.get(run.operation.id)
    assert op is not None
    assert op.served_by == "Ann"


async def test_refunds_and_voids_journal_who_served_and_who_approved(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    sale_ids = []
    for _ in range(2):
        run = await test_lane.service.charge(5000, "trm_virtual", served_by="Cy")
        async for state in run:
            if state.name is StateName.WAITING:
                sandbox.present("trm_virtual")
        assert run.operation.sale_id is not None
        sale_ids.append(run.operation.sale_id)
    service = test_lane.service

    refund = await service.refund_to_card(
        await service.payment_details(sale_ids[0]), 2000, served_by="Cy", approved_by="Bea"
    )
    assert (await collect(refund))[-1].name is StateName.APPROVED
    void = await service.void(
        await service.payment_details(sale_ids[1]), served_by="Bea", approved_by="Bea"
    )
    assert (await collect(void))[-1].name is StateName.APPROVED

    journal = test_lane.journal
    by_kind = {
        op.kind.value: (op.served_by, op.approved_by)
        for op in journal.history(HistoryQuery(kinds=("refund", "void")))
    }
    assert by_kind == {"refund": ("Cy", "Bea"), "void": ("Bea", "Bea")}
    assert len(journal.history(HistoryQuery(person="bea"))) == 2
    assert len(journal.history(HistoryQuery(person="CY"))) == 3


async def test_no_name_is_nobody(sandbox: SandboxHandle, test_lane: TestLane) -> None:
    run = await test_lane.service.charge(1091, "trm_side", served_by="   ")
    assert (await collect(run))[-1].name is StateName.DECLINED
    op = test_lane.journal.get(run.operation.id)
    assert op is not None
    assert op.served_by is None
