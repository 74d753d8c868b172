"""``rehab session --source``: a wearable on the serial bridge (``rehab bridge emulate`` on
a pty), a camera recording, and source strings that name nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from session_checks import OFFLINE, stored, summary
from session_video import knee_extension_video

from rehab.cli import main
from therapy.store import TherapyStore

EX = "knee_extension_seated"


@pytest.mark.timeout(90)
def test_serial_source_counts_the_emulated_reps_exactly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "rehab-emu0"
    speed = "5"  # the emulator's clock and the session's run 5x: 3 reps in ~5 s
    emu = subprocess.Popen(
        [sys.executable, "-m", "rehab", "bridge", "emulate", "--exercise", EX, "--reps", "3",
         "--link", str(link), "--speed", speed, "--duration", "60", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while not link.exists() and time.monotonic() < deadline and emu.poll() is None:
            time.sleep(0.05)
        assert link.exists(), emu.stderr.read() if emu.poll() is not None else "no link"
        # a target above the emulated 3: the set ends by its time limit, so a false rep
        # would show in the count instead of ending the set early
        code = main(["session", "--exercise", EX, "--source", f"serial:{link}", "--reps", "5",
                     "--realtime", speed, "--max-s", "11", "--json", "--data-dir",
                     str(tmp_path), *OFFLINE])
    finally:
        emu.terminate()
        emu.communicate(timeout=10)
    out = capsys.readouterr().out
    assert code == 0, out
    s = summary(out)
    assert s["count"] == 3 and s["source"] == f"serial:{link}"
    assert s["placements"] == [{"sensor_id": f"serial:{link}", "where": "shank",
                                "label": f"USB wearable {link}"}]
    assert s["ended_by"] == "time limit 11 s" and s["completed"] is False
    assert all(40.0 < r["rom_deg"] < 110.0 for r in s["reps"])
    count, rows, outbox = stored(tmp_path, s["session"])
    assert (count, rows) == (3, 3) and outbox == [s["session"]]


@pytest.mark.timeout(120)
def test_video_source_counts_the_recorded_reps(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "knee.mp4"
    assert knee_extension_video(video, reps=3) > 0
    assert main(["session", "--exercise", EX, "--source", f"video:{video}", "--reps", "5",
                 "--pain-after", "1", "--json", "--data-dir", str(tmp_path), *OFFLINE]) == 0
    s = summary(capsys.readouterr().out)
    assert s["count"] == 3 and s["ended_by"] == "source end"
    assert s["placements"] == [{"sensor_id": "video:knee.mp4", "where": "camera",
                                "label": "camera, knee_right"}]
    # drawn from 90 to 20 degrees of flexion; the pose model sees a drawing, not a leg
    assert all(45.0 < r["rom_deg"] < 80.0 for r in s["reps"])
    assert s["warnings"] == []  # side-on, whole, near enough all through
    count, rows, outbox = stored(tmp_path, s["session"])
    assert (count, rows) == (3, 3) and outbox[0] == s["session"] and len(outbox) == 2


def test_a_video_whose_patient_leaves_says_so_and_counts_what_was_seen(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three reps, then the patient out of the picture for 5 s of the 20.5: the count is
    the three, and the warnings (the session's and the replay's alike) say why a count may be
    short; the text output lists them too."""
    video = tmp_path / "knee.mp4"
    frames = knee_extension_video(video, reps=3, then_empty_s=5.0)
    assert main(["session", "--exercise", EX, "--source", f"video:{video}", "--reps", "5",
                 "--json", "--data-dir", str(tmp_path), *OFFLINE]) == 0
    s = summary(capsys.readouterr().out)
    assert s["count"] == 3
    empty = frames - int(15.5 * 15)
    assert s["warnings"] == [f"camera: in {empty / frames:.0%} of {frames} frames the right "
                             f"knee was out of view (nobody found in {empty}): reps there "
                             "are not counted"]
    assert main(["replay", str(video), "--camera", "--joint", "knee_right", "--exercise", EX,
                 "--json"]) == 0
    r = summary(capsys.readouterr().out)
    assert r["count"] == 3 and r["warnings"] == s["warnings"]
    assert main(["session", "--exercise", EX, "--source", f"video:{video}", "--reps", "5",
                 "--data-dir", str(tmp_path), *OFFLINE]) == 0
    assert s["warnings"][0] in capsys.readouterr().out.splitlines()


BAD = [
    (["--source", "bluetooth"], "unknown source 'bluetooth': use sim, ble, serial:PORT"),
    (["--source", "serial:"], "source serial needs a port, e.g. serial:/dev/rehab-imu0"),
    (["--source", "video:"], "source video needs a file"),
    (["--source", "camera:front"], "camera index must be a number 0..63, got 'front'"),
    (["--source", "camera:99"], "camera index must be a number 0..63"),
    (["--source", "ble:all"], "source ble takes no argument"),
    (["--source", "serial:/dev/rehab-nope"], "serial port /dev/rehab-nope not found"),
    (["--source", "video:/no/such.mp4"], "video file /no/such.mp4 not found"),
    (["--source", "ble"], "needs a wearable on the shank; paired: none. Pair one"),
    (["--source", "sim", "--virtual"], "--virtual and --virtual-away are for --source ble"),
    (["--source", "ble", "--virtual", "--virtual-away", "thigh"],
     "--virtual-away wants SEGMENT:AT:FOR"),
]


@pytest.mark.parametrize(("extra", "message"), BAD, ids=[" ".join(b[0]) for b in BAD])
def test_a_bad_source_is_one_line_exit_2_and_keeps_what_was_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
        message: str) -> None:
    assert main(["session", "--sim", EX, "--reps", "2", "--data-dir", str(tmp_path),
                 *OFFLINE]) == 0
    capsys.readouterr()
    code = main(["session", "--exercise", EX, *extra, "--data-dir", str(tmp_path), *OFFLINE])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("rehab session: error: "), err
    assert message in err and "Traceback" not in err
    store = TherapyStore(tmp_path / "rehab.db")
    assert len(store.session_ids()) == 1 and store.outbox_count() == 1
    store.close()


def test_sim_shorthand_and_exercise_source_sim_are_one_thing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--reps", "3", "--seed", "4", "--json", "--data-dir", str(tmp_path), *OFFLINE]
    assert main(["session", "--sim", "heel_slide", *args]) == 0
    short = summary(capsys.readouterr().out)
    assert main(["session", "--exercise", "heel_slide", "--source", "sim", *args]) == 0
    long = summary(capsys.readouterr().out)
    assert short["count"] == long["count"] == 3
    assert [r["rom_deg"] for r in short["reps"]] == [r["rom_deg"] for r in long["reps"]]
    assert main(["session", "--sim", "heel_slide", "--source", "ble", *args]) == 2
    assert "give one or the other" in capsys.readouterr().err


@pytest.mark.timeout(90)
def test_ctrl_c_ends_a_live_set_and_stores_what_was_done(tmp_path: Path) -> None:
    """Before: Ctrl-C on a live set raised KeyboardInterrupt out of asyncio.run and the
    session was lost (exit 130, nothing stored); a live source has no other early end."""
    link = tmp_path / "rehab-emu0"
    emu = subprocess.Popen(
        [sys.executable, "-m", "rehab", "bridge", "emulate", "--exercise", EX, "--reps", "6",
         "--link", str(link), "--speed", "5", "--duration", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while not link.exists() and time.monotonic() < deadline and emu.poll() is None:
            time.sleep(0.05)
        assert link.exists(), "no emulator link"
        session = subprocess.Popen(
            [sys.executable, "-m", "rehab", "session", "--exercise", EX, "--source",
             f"serial:{link}", "--reps", "10", "--realtime", "5", "--json", "--data-dir",
             str(tmp_path), *OFFLINE],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(6.0)  # about 30 s of exercise at x5: some reps done, not all
        session.send_signal(subprocess.signal.SIGINT)
        out, err = session.communicate(timeout=30)
    finally:
        emu.terminate()
        emu.communicate(timeout=10)
    assert session.returncode == 0, err
    s = summary(out)
    assert s["ended_by"] == "interrupted" and 1 <= s["count"] < 10 and not s["completed"]
    count, rows, outbox = stored(tmp_path, s["session"])
    assert count == rows == s["count"] and outbox == [s["session"]]


def test_auto_picks_the_simulator_with_nothing_paired_or_plugged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["session", "--exercise", "heel_slide", "--source", "auto", "--reps", "2",
                 "--json", "--data-dir", str(tmp_path), *OFFLINE]) == 0
    s = summary(capsys.readouterr().out)
    assert s["source"] == "sim" and s["count"] == 2
    assert main(["session", "--exercise", "heel_slide", "--source", "auto", "--virtual",
                 "--data-dir", str(tmp_path), *OFFLINE]) == 2
    assert "--virtual is for --source ble; auto picked sim" in capsys.readouterr().err


def test_a_camera_that_cannot_open_is_one_line_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video\n")
    for source, message in ((f"video:{junk}", "cannot open camera source"),
                            ("camera:63", "cannot open camera source 63"),
                            ("video:x.mp4", "video file x.mp4 not found")):
        code = main(["session", "--exercise", EX, "--source", source, "--data-dir",
                     str(tmp_path), *OFFLINE])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and message in err, err
    code = main(["session", "--exercise", "heel_raise_standing", "--source", "camera",
                 "--data-dir", str(tmp_path), *OFFLINE])
    assert code == 2
    assert "the camera cannot measure heel_raise_standing (ankle): use a wearable" in \
        capsys.readouterr().err


@pytest.mark.timeout(60)
def test_a_port_where_no_wearable_answers_stores_no_empty_session(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: the set ran to --max-s and an empty 0-rep session was stored and queued for
    the clinic, as if the patient had done nothing."""
    import os
    import pty

    main_fd, other_fd = pty.openpty()  # a tty nobody answers on
    try:
        code = main(["session", "--exercise", EX, "--source", f"serial:{os.ttyname(other_fd)}",
                     "--max-s", "3", "--data-dir", str(tmp_path), *OFFLINE])
    finally:
        os.close(main_fd)
        os.close(other_fd)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "no wearable answered on /dev/pts/" in err and "nothing stored" in err
    store = TherapyStore(tmp_path / "rehab.db")
    assert store.session_ids() == [] and store.outbox_count() == 0
    store.close()
