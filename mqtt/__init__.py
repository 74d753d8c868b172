"""The clinic link over MQTT 5 (paho-mqtt 2): device side and clinic-side tools.

Topics carry only opaque ids (:mod:`mqtt.topics`); records are FHIR JSON from the
device's durable outbox (:mod:`mqtt.outbox`). See docs/clinic-link.md.
"""
