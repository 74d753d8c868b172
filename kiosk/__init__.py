"""The touchscreen kiosk: Kivy screens (``kiosk.ui``) over plain-Python view-models
(``kiosk.vm``), fed by the therapy session controller. ``kiosk.vm`` and ``kiosk.model``
import no Kivy; only ``kiosk.ui`` does. The root exception is ``kiosk.errors.KioskError``."""
