"""The sync task of a lane in a store: it drains the local outboxes into the store and
pulls what the store shares.

Nothing on the payment path waits for it: every record is already safe in the
lane's own files (the outbox is filled in the same transaction as the write).
The task only copies, in order per outbox, and forgets a batch once the link
returned (`Outbox.acknowledge`): an acknowledgement lost in a crash means the
batch is sent again, which the store ignores (every write there is idempotent).

Times (the store's spec): the outboxes are polled every `idle_poll` seconds
when idle (one indexed read each) and at once after `nudge()`; after a failure
the task waits `backoff[0]` seconds, doubling to `backoff[1]`, so the outbox
drains within a few seconds of the store's return; shared data is pulled right
after (re)connecting and every `pull_every` seconds. A store that refuses the
lane (a person must fix something) stops the sending and says why; the task
asks again every `REFUSED_RETRY` seconds, in case it was fixed meanwhile.

`run()` never raises for the store's errors (or a busy journal): they become the
status (`SyncStatus`) the window shows quietly. `drain(seconds)` is the CLI's
exit: send what it can within a deadline, and say whether everything went.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Final

from pos_app.domain.errors import UnavailableError, UserFacingError, user_message
from pos_app.services.store_ports import (
    LaneIdentity,
    Outbox,
    OutboxBatch,
    SharedPull,
    StoreLink,
    StoreRefusedError,
    SyncState,
    SyncStatus,
)

__all__ = ["REFUSED_RETRY", "StoreSync"]

log = logging.getLogger("pos_app.services.store_sync")

#: After a refusal, how long before the task asks the store again (seconds).
REFUSED_RETRY: Final = 60.0


class StoreSync:
    """Sends a lane's outboxes to the store and pulls the store's shared data.

    `sleep` replaces the task's waits (tests drive it; a nudge then wakes nothing);
    `clock` is the monotonic clock the pulls are timed with.
    """

    def __init__(
        self,
        link: StoreLink,
        lane: LaneIdentity,
        outboxes: Sequence[Outbox] = (),
        *,
        pulls: Sequence[SharedPull] = (),
        on_status: Callable[[SyncStatus], None] | None = None,
        batch: int = 500,
        idle_poll: float = 0.25,
        backoff: tuple[float, float] = (0.5, 5.0),
        pull_every: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.link = link
        self.lane = lane
        self._outboxes: list[Outbox] = list(outboxes)
        self._pulls: list[SharedPull] = list(pulls)
        self.on_status = on_status
        self.batch = batch
        self.idle_poll = idle_poll
        self.backoff = backoff
        self.pull_every = pull_every
        self._sleep = sleep
        self._clock = clock
        self._wake = asyncio.Event()
        self._last_sent_at: datetime | None = None
        self._status = SyncStatus(SyncState.CONNECTING, self._pending())

    # -- set-up -----------------------------------------------------------------------

    def add_outbox(self, outbox: Outbox) -> None:
        """Send this outbox too (after the ones given before: order is per outbox)."""
        self._outboxes.append(outbox)
        self.nudge()

    def add_pull(self, pull: SharedPull) -> None:
        """Pull this kind of shared data too (from the next pull on)."""
        self._pulls.append(pull)

    def remove_outbox(self, outbox: Outbox) -> None:
        """Stop sending this outbox (its file is closing); what waits keeps in it. A batch
        of it in flight is not acknowledged: it goes again next time."""
        with contextlib.suppress(ValueError):
            self._outboxes.remove(outbox)

    def remove_pull(self, pull: SharedPull) -> None:
        """Stop pulling this kind of shared data."""
        with contextlib.suppress(ValueError):
            self._pulls.remove(pull)

    @property
    def outboxes(self) -> tuple[Outbox, ...]:
        """The outboxes sent, in order."""
        return tuple(self._outboxes)

    @property
    def status(self) -> SyncStatus:
        """The task's latest word."""
        return self._status

    def nudge(self) -> None:
        """Wake the loop now (something was written); ignored while backing off."""
        self._wake.set()

    # -- one pass ---------------------------------------------------------------------

    async def send_once(self) -> int:
        """Drain every outbox once, in order, a batch at a time, each acknowledged only
        after the store took it; how many records went. Raises the link's errors."""
        sent = 0
        for outbox in list(self._outboxes):
            while outbox in self._outboxes and (batch := outbox.outbox_batch(self.batch)):
                if batch.records:
                    await self.link.send(self.lane, batch.records, self._left(outbox, batch))
                    self._last_sent_at = datetime.now(UTC)
                if outbox not in self._outboxes:
                    break  # removed while sending (its file closed): it goes again later
                await outbox.acknowledge(batch.last_seq)
                sent += len(batch.records)
                self._say(SyncState.SENDING)
        return sent

    async def pull_once(self) -> None:
        """Note the lane as seen, then take every kind of shared data once. Raises the
        link's errors; a pull that fails for another reason a person can read is logged
        and the others go on."""
        await self.link.heartbeat(self.lane, self._pending())
        for pull in self._pulls:
            try:
                await pull.pull(self.link)
            except (StoreRefusedError, UnavailableError):
                raise
            except UserFacingError as exc:
                log.warning("a pull from the store failed: %s", user_message(exc))

    # -- the task ---------------------------------------------------------------------

    async def run(self) -> None:
        """Send and pull until cancelled; the store's errors become the status."""
        connected = False
        failures = 0
        next_pull = 0.0
        while True:
            self._wake.clear()  # a nudge from here on wakes the next idle wait
            try:
                await self.send_once()
                if not connected or self._clock() >= next_pull:
                    await self.pull_once()
                    next_pull = self._clock() + self.pull_every
                    if not connected:
                        log.info("the store answers: %s", self._describe_pending())
                    connected = True
                    # What was written while pulling goes before the lane says "sent".
                    await self.send_once()
            except StoreRefusedError as exc:
                _stop_if_cancelled()
                connected, failures = False, 0
                if self._status.state is not SyncState.REFUSED:
                    log.warning("the store refused this lane: %s", exc.message)
                self._say(SyncState.REFUSED, exc.message)
                await self._wait(REFUSED_RETRY, wakeable=False)
                continue
            except UnavailableError as exc:
                _stop_if_cancelled()
                if connected or failures == 0:
                    log.warning("the store cannot be reached: %s", user_message(exc))
                connected = False
                delay = min(self.backoff[0] * 2**failures, self.backoff[1])
                failures += 1
                self._say(SyncState.UNREACHABLE, exc.message)
                await self._wait(delay, wakeable=False)
                continue
            failures = 0
            self._say(SyncState.SENT if self._pending() == 0 else SyncState.SENDING)
            await self._wait(self.idle_poll, wakeable=True)

    async def drain(self, seconds: float = 2.0) -> bool:
        """Send what can be sent within `seconds` (a command's exit); True when nothing
        is left. Never raises for the store's errors: what is left keeps for later."""
        if self._pending() == 0:
            return True
        try:
            await asyncio.wait_for(self.send_once(), seconds)
        except TimeoutError:
            log.info("store: %s after %g s", self._describe_pending(), seconds)
            return False
        except StoreRefusedError as exc:
            log.warning("the store refused this lane: %s", exc.message)
            return False
        except UnavailableError as exc:
            log.info("store: not sent (%s); %s", user_message(exc), self._describe_pending())
            return False
        return self._pending() == 0

    # -- plumbing ---------------------------------------------------------------------

    def _pending(self) -> int:
        return sum(outbox.outbox_count() for outbox in self._outboxes)

    def _left(self, sending: Outbox, batch: OutboxBatch) -> int:
        """What will wait once `batch` is taken (the store shows it per lane)."""
        after = getattr(sending, "outbox_count_after", None)
        own = after(batch.last_seq) if after else sending.outbox_count() - len(batch.records)
        others = sum(o.outbox_count() for o in self._outboxes if o is not sending)
        return max(int(own), 0) + others

    def _describe_pending(self) -> str:
        pending = self._pending()
        return "everything sent" if pending == 0 else f"{pending} records waiting"

    def _say(self, state: SyncState, message: str = "") -> None:
        status = SyncStatus(state, self._pending(), self._last_sent_at, message)
        if status == self._status:
            return
        self._status = status
        if self.on_status is not None:
            self.on_status(status)

    async def _wait(self, seconds: float, *, wakeable: bool) -> None:
        if self._sleep is not None:
            await self._sleep(seconds)
            return
        if not wakeable:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)


def _stop_if_cancelled() -> None:
    """Re-raise a cancellation a driver turned into an error of its own (psycopg may
    answer a cancelled connect with "cannot be reached"): the task was asked to stop,
    and a loop that went on would never end."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
