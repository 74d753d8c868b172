"""A device process for the SIGKILL test: records short sessions and drains, forever.

    python device_worker.py DATA_DIR BROKER_URL

Prints "ready" once connected; the test kills it with SIGKILL at random moments.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from mqtt.config import load_config  # noqa: E402
from mqtt.device import DeviceLink  # noqa: E402
from sensors.sim import SimConfig, sim_sources  # noqa: E402
from therapy.plan import exercise_from_catalogue  # noqa: E402
from therapy.ports import FhirEncoder  # noqa: E402
from therapy.session import SessionController  # noqa: E402
from therapy.store import TherapyStore  # noqa: E402


async def main(data_dir: Path, url: str) -> None:
    store = TherapyStore(data_dir / "rehab.db")
    link = DeviceLink(load_config(data_dir, broker=url, device="dev-k", clinic="c1"), store,
                      max_inflight=20, reconnect_max_s=1)
    link.start()
    link.wait_connected(10)
    print("ready", flush=True)
    ex = exercise_from_catalogue("elbow_flexion")
    seed = 0
    while True:
        seed += 1
        ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-k"))
        ctl.set_pain_before(seed % 11)
        distal, _ = sim_sources(SimConfig(exercise_id=ex.exercise_id, reps=1, seed=seed,
                                          initial_still_s=0.5, final_still_s=0.5),
                                realtime=False, chunk_size=100)
        await ctl.run_set(distal)
        ctl.finish(pain_after=seed % 7)
        link.notify_outbox()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
