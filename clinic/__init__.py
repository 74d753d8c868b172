"""The clinic side of the link: ingest of device records (``link``), the clinic's store
(``store``), receipts to devices (``receipts``), progress reports (``report``).

The device side stays in ``mqtt/``; both speak the topics, payload checks and delivery
contract of ``mqtt.topics``, ``mqtt.inbound`` and ``mqtt.delivery``.
"""
