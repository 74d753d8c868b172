"""Installer settings > Find wearables (behind the installer code): scan, choose, place on
the body, forget.

Thin: :class:`kiosk.vm.pairing.PairingVM` decides. The scan runs as an asyncio task on the
app's loop (``KioskFlow.scan_wearables``); a 4 Hz tick redraws only when the view changed.
Leaving the screen (another screen, the auto-lock, or the app stopping: ``KioskApp.on_stop``
leaves the current screen) cancels both the tick and a running scan, so nothing of this
screen reads the store once the kiosk has closed it. While scanning, "Searching…" is a
disabled button. Every target is >= 64 dp. Its words are the kiosk's language
(kiosk/locale).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.i18n import N_, _
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen
from kiosk.ui.widgets import BigButton, Card, Txt, scroller
from kiosk.vm.pairing import PLACEMENTS, PairingView, ScanState, placement_label

if TYPE_CHECKING:
    from kiosk.vm.flow import KioskFlow

TICK_S = 0.25


class PairingScreen(KioskScreen):
    title = N_("Wearables")

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        self._shown: PairingView | None = None
        self._event: Any = None
        self.box = BoxLayout(orientation="vertical", spacing=dp(8), padding=dp(12))
        self.add_widget(scroller(self.box))

    def on_enter(self, *_: Any) -> None:
        if self._event is None:
            self._event = Clock.schedule_interval(self._tick, TICK_S)

    def on_leave(self, *_: Any) -> None:
        """Left (or the app stops): the tick and a running scan end here."""
        if self._event is not None:
            self._event.cancel()
            self._event = None
        if self.flow.pairing_vm is not None:
            self.flow.pairing_vm.cancel()

    def _tick(self, _dt: float) -> None:
        vm = self.flow.pairing_vm
        if vm is not None and vm.view() != self._shown:
            self.refresh()

    def refresh(self) -> None:
        b = self.box
        b.clear_widgets()
        if self.flow.pairing_vm is None:
            return
        v = self.flow.pairing_vm.view()
        self._shown = v
        scanning = v.state == ScanState.SCANNING
        head = BoxLayout(size_hint_y=None, height=T.touch_h(72), spacing=dp(8))
        head.add_widget(Txt(v.message, 21, T.DANGER if v.state == ScanState.FAILED else T.TEXT,
                            bold=True, fill=True))
        head.add_widget(BigButton(_("Searching…") if scanning else _("Search again"),
                                  None if scanning else self.flow.scan_wearables,
                                  T.GREY if scanning else T.PRIMARY, size=19,
                                  text_colour=T.MUTED if scanning else T.WHITE,
                                  size_hint=(None, 1), width=dp(180), disabled=scanning,
                                  background_disabled_normal="", disabled_color=T.MUTED))
        b.add_widget(head)
        if v.choosing:  # right under the question, so no scrolling is needed to answer
            grid = GridLayout(cols=4, spacing=dp(8), size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))
            for seg in PLACEMENTS:
                grid.add_widget(BigButton(placement_label(seg), lambda s=seg: self._place(s),
                                          T.GOOD, size=20, height=68))
            b.add_widget(grid)
        for f in v.found:
            label = f.text + ("\n" + _("(now on the {placement})").format(
                placement=placement_label(f.placed_on).lower()) if f.placed_on else "")
            b.add_widget(BigButton(label, lambda a=f.address: self._select(a),
                                   T.PRIMARY if f.selected else T.CARD, size=19,
                                   text_colour=T.WHITE if f.selected else
                                   (T.DANGER if f.low_battery else T.TEXT), height=76))
        b.add_widget(Txt(_("Paired wearables"), 20, T.MUTED, bold=True))
        if not v.paired:
            b.add_widget(Txt(_("None yet: the exercises use DEMO SENSORS (simulated)."), 19,
                             T.MUTED))
        for p in v.paired:
            c = Card(orientation="horizontal", size_hint_y=None, height=T.touch_h(80))
            c.add_widget(Txt(p.text, 20, fill=True))
            c.add_widget(BigButton(_("Forget"), lambda a=p.address: self._forget(a), T.DANGER,
                                   size=19, size_hint=(None, 1), width=dp(130)))
            b.add_widget(c)
        b.add_widget(BigButton(_("Back to Settings"), self.flow.close_pairing,
                               T.GREY, size=20, text_colour=T.TEXT))

    def _select(self, address: str) -> None:
        assert self.flow.pairing_vm is not None
        self.flow.pairing_vm.select(address)
        self.refresh()

    def _place(self, segment: Any) -> None:
        assert self.flow.pairing_vm is not None
        self.flow.pairing_vm.place(segment)
        self.refresh()

    def _forget(self, address: str) -> None:
        assert self.flow.pairing_vm is not None
        self.flow.pairing_vm.forget(address)
        self.refresh()
