"""End to end through a real Mosquitto: rehab session --sim -> clinic watcher -> report."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers.link_helpers import start_watcher, wait_for
from tests.helpers.rehab_broker import Broker

from rehab.cli import main

pytestmark = pytest.mark.timeout(120)


def test_sim_session_reaches_the_clinic_as_valid_fhir(
        broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation

    events: list[tuple[str, str, dict]] = []
    clinic_dir = tmp_path / "clinic"
    watcher = start_watcher(clinic_dir, broker.url,
                            on_event=lambda d, leaf, body: events.append((d, leaf, body)))
    try:
        dev_dir = tmp_path / "dev"
        args = ["session", "--sim", "knee_extension_seated", "--reps", "6", "--pain-before",
                "4", "--pain-after", "2", "--device", "dev-1", "--clinic", "c1", "--broker",
                broker.url, "--data-dir", str(dev_dir), "--side", "left"]
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "0 records wait" in out
        # how many reps the motion core finds is its own business (tests/motion); here
        # every rep it found must reach the clinic, live and in the record
        n_reps = int(out.split("/6 reps")[0].rsplit(" ", 1)[1])
        assert 4 <= n_reps <= 8
        wait_for(lambda: len(watcher.store.identifiers()) == 3, 10, "3 records at the clinic")
        assert watcher.invalid == 0
        bundles = watcher.store.resources("Bundle")
        observations = watcher.store.resources("Observation")
        bundle = Bundle.model_validate(bundles[0])
        reps = [e.resource for e in bundle.entry][1:]
        assert len(reps) == n_reps
        assert all(r.code.coding[0].code == "364564000" and r.valueQuantity.unit == "deg"
                   for r in reps)
        pains = sorted((Observation.model_validate(o) for o in observations),
                       key=lambda o: o.effectiveDateTime)
        assert [p.valueInteger for p in pains] == [4, 2]
        assert all(p.code.coding[0].code == "72514-3" for p in pains)
        # live feed: the watcher saw every rep while the session ran
        live_reps = [b for _d, leaf, b in events if leaf == "live" and b["type"] == "rep"]
        assert len(live_reps) == n_reps and watcher.view("dev-1").reps == n_reps
        def states() -> list[str]:
            return [b["state"] for _d, leaf, b in list(events)
                    if leaf == "status" and "event" not in b]

        # the device says "offline" as it disconnects; that may come after its records
        wait_for(lambda: states()[-1:] == ["offline"], 10, "the device's offline status")
        assert states()[0] == "online"

        # a second session, then the progress report in both formats
        assert main(args[:-2] + ["--side", "left", "--seed", "2"]) == 0
        wait_for(lambda: len(watcher.store.sessions("dev-1")) == 2, 10, "2 sessions")
    finally:
        watcher.stop()
        watcher.store.close()
    for ext in ("html", "png"):
        out_file = tmp_path / f"report.{ext}"
        assert main(["clinic", "report", "--device", "dev-1", "--out", str(out_file),
                     "--data-dir", str(clinic_dir)]) == 0
        assert out_file.stat().st_size > 1000
    html = (tmp_path / "report.html").read_text()
    assert html.count("<svg") == 3 and f"{n_reps}/6" in html


def test_session_without_broker_leaves_records_and_sync_sends_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = Broker(tmp_path / "broker")  # configured, not started
    dev_dir = tmp_path / "dev"
    common = ["--device", "dev-2", "--clinic", "c1", "--broker", b.url, "--data-dir",
              str(dev_dir)]
    assert main(["session", "--sim", "elbow_flexion", "--reps", "3", "--pain-after", "1",
                 "--send-timeout", "0.5", *common]) == 0
    assert "2 records wait in the outbox" in capsys.readouterr().out
    b.start()
    try:
        watcher = start_watcher(tmp_path / "clinic", b.url)
        assert main(["sync", *common]) == 0
        assert "sent 2 records; 0 wait" in capsys.readouterr().out
        wait_for(lambda: len(watcher.store.identifiers()) == 2, 10, "2 records")
        watcher.stop()
    finally:
        b.stop()


def test_config_file_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.link_helpers import write_toml

    write_toml(tmp_path, broker="mqtt://broker.example.org", device="dev-1")
    assert main(["sync", "--data-dir", str(tmp_path)]) == 2
    assert "use mqtts://" in capsys.readouterr().err
    assert main(["session", "--sim", "moonwalk", "--device", "d", "--broker",
                 "mqtt://127.0.0.1:1", "--data-dir", str(tmp_path)]) == 2
    assert "unknown exercise" in capsys.readouterr().err
    assert main(["session", "--sim", "heel_slide", "--pain-before", "11", "--data-dir",
                 str(tmp_path)]) == 2
    write_toml(tmp_path / "x", broker="mqtts://u:p@broker.example.org", device="bad/id")
    assert main(["sync", "--data-dir", str(tmp_path / "x")]) == 2
    assert "device id" in capsys.readouterr().err


def test_watch_command_and_persistent_session(broker: Broker, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import threading

    from tests.helpers.link_helpers import write_toml

    from clinic.store import ClinicStore

    clinic_dir = tmp_path / "clinic"
    write_toml(clinic_dir, broker=broker.url, clinic="c1")
    dev = ["--device", "dev-3", "--clinic", "c1", "--broker", broker.url, "--data-dir",
           str(tmp_path / "dev")]
    # first run registers the persistent session; the live table renders without a tty
    assert main(["clinic", "watch", "--duration", "0.5", "--data-dir", str(clinic_dir)]) == 0
    assert "clinic c1" in capsys.readouterr().out
    # a session while no watcher runs: the broker queues it for the clinic's session (no
    # receipt can come: the session waits 3 s for one, not its default 10, and keeps the row)
    assert main(["session", "--sim", "heel_slide", "--reps", "2", "--send-timeout", "3",
                 *dev]) == 0
    assert "in the outbox" in capsys.readouterr().out  # "1 record waits in the outbox"
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(main(
        ["clinic", "watch", "--plain", "--duration", "3", "--data-dir", str(clinic_dir)])))
    t.start()
    t.join(20)
    assert result == [0]
    out = capsys.readouterr().out
    assert "dev-3 records Bundle" in out
    store = ClinicStore(clinic_dir / "clinic.db")
    assert len(store.sessions("dev-3")) == 1
    store.close()
