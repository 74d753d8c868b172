"""The live screen's line per wearable (kiosk.vm.live.SensorStatus.text).

A wearable that reports no battery level (the demo sensors, a wearable whose battery read
failed) showed "no battery" ("sin batería"): to a patient, a flat battery. The line now
leaves the battery out when it is not known.
"""

from __future__ import annotations

import pytest

from kiosk import i18n
from kiosk.vm.live import SensorStatus


@pytest.fixture
def spanish():
    i18n.set_language("es")
    yield
    i18n.set_language("en")


def test_an_unknown_battery_is_not_called_flat() -> None:
    text = SensorStatus("Demo sensor (thigh)", True).text
    assert text == "Demo sensor (thigh): connected · signal good"
    assert "battery" not in text


def test_a_known_battery_is_shown() -> None:
    assert (SensorStatus("Knee sensor", True, 64, "weak").text
            == "Knee sensor: connected · battery 64% · signal weak")


def test_spanish_says_the_same(spanish) -> None:
    assert SensorStatus("Sensor", True).text == "Sensor: conectado · señal buena"
    assert "batería 64 %" in SensorStatus("Sensor", True, 64).text
