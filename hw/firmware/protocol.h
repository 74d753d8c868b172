/*
 * Wire protocol version 1 of the rehab-kiosk wearables (hw/protocol/PROTOCOL.md).
 *
 * Portable C99, no dynamic allocation, no I/O: the board application owns the USB
 * serial port and the BLE stack and calls these functions with byte buffers.
 * The Python twin is firmware_bridge/ (messages.py, codec.py); both must reproduce
 * hw/protocol/vectors.json byte for byte.
 *
 * Frame on the wire: 0x00 | COBS(type u8, seq u16 LE, len u8, payload, CRC-16/CCITT-FALSE BE) | 0x00
 */
#ifndef REHAB_PROTOCOL_H
#define REHAB_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1u
#define PROTO_MAX_PAYLOAD 240u
#define PROTO_MAX_BATCH_SAMPLES 18u /* 22 + 18 * 12 = 238 bytes: one BLE notification */
#define PROTO_MAX_SENSORS 8u
#define PROTO_BATCH_HEADER_LEN 22u
#define PROTO_SAMPLE_LEN 12u
#define PROTO_HEADER_LEN 4u    /* type(1) + seq(2) + len(1) */
#define PROTO_FRAME_MIN_LEN 6u /* header(4) + crc(2) */
#define PROTO_FRAME_MAX_LEN (PROTO_FRAME_MIN_LEN + PROTO_MAX_PAYLOAD)                /* 246 */
#define PROTO_ENCODED_MAX_LEN (PROTO_FRAME_MAX_LEN + PROTO_FRAME_MAX_LEN / 254u + 1u) /* 247 */
#define PROTO_WIRE_MAX_LEN (PROTO_ENCODED_MAX_LEN + 2u) /* leading and trailing 0x00 */
#define PROTO_DUPLICATE_WINDOW 64u

typedef enum {
    PROTO_HELLO_REQ = 0x01,
    PROTO_HELLO = 0x02,
    PROTO_START = 0x10,
    PROTO_STOP = 0x11,
    PROTO_IMU_BATCH = 0x20,
    PROTO_BATTERY = 0x21,
    PROTO_TIME_REQ = 0x30,
    PROTO_TIME_RESP = 0x31,
    PROTO_ACK = 0x40,
    PROTO_ERROR = 0x41
} proto_type_t;

typedef enum {
    PROTO_ERR_OK = 0,
    PROTO_ERR_BAD_FRAME = 1,
    PROTO_ERR_UNKNOWN_TYPE = 2,
    PROTO_ERR_BAD_PAYLOAD = 3,
    PROTO_ERR_UNSUPPORTED_RATE = 4,
    PROTO_ERR_UNSUPPORTED_RANGE = 5,
    PROTO_ERR_SENSOR_FAULT = 6,
    PROTO_ERR_OVERRUN = 7,
    PROTO_ERR_VERSION_MISMATCH = 8
} proto_error_code_t;

typedef struct {
    uint8_t index;
    uint8_t kind; /* 1 = 6-axis IMU */
    uint8_t accel_fs_g;
    uint16_t gyro_fs_dps;
    uint16_t max_rate_hz;
} proto_sensor_desc_t;

typedef struct {
    uint8_t host_version;
} proto_hello_req_t;

typedef struct {
    uint8_t proto_version;
    uint8_t fw_major, fw_minor, fw_patch;
    uint64_t device_id;
    uint8_t n_sensors;
    proto_sensor_desc_t sensors[PROTO_MAX_SENSORS];
} proto_hello_t;

typedef struct {
    uint16_t rate_hz;
    uint8_t accel_fs_g;
    uint16_t gyro_fs_dps;
    uint8_t sensor_mask;
    uint8_t batch_len;
} proto_start_t;

typedef struct {
    uint32_t sample_seq;
    uint64_t t_first_us;
    uint32_t period_us;
    uint16_t gyro_fs_dps;
    uint8_t accel_fs_g;
    uint8_t sensor;
    uint8_t n;
    uint8_t flags;
    int16_t counts[PROTO_MAX_BATCH_SAMPLES][6]; /* ax ay az gx gy gz */
} proto_imu_batch_t;

typedef struct {
    uint16_t millivolts;
    uint8_t percent; /* 255 = unknown */
    uint8_t flags;   /* bit 0 charging, bit 1 USB power */
} proto_battery_t;

typedef struct {
    uint32_t request_id;
} proto_time_req_t;

typedef struct {
    uint32_t request_id;
    uint64_t device_us;
} proto_time_resp_t;

typedef struct {
    uint8_t acked_type;
    uint16_t acked_seq;
    uint8_t status;
} proto_ack_t;

typedef struct {
    uint8_t code;
    uint8_t ref_type;
    uint16_t detail;
} proto_error_t;

typedef struct {
    uint8_t type; /* proto_type_t */
    union {
        proto_hello_req_t hello_req;
        proto_hello_t hello;
        proto_start_t start;
        proto_imu_batch_t imu_batch;
        proto_battery_t battery;
        proto_time_req_t time_req;
        proto_time_resp_t time_resp;
        proto_ack_t ack;
        proto_error_t error;
    } u;
} proto_msg_t;

typedef struct {
    uint32_t frames, crc_errors, framing_errors, overruns, bad_payload;
    uint32_t lost, gaps, duplicates, restarts;
} proto_stats_t;

typedef struct {
    uint8_t type;
    uint16_t seq;
    proto_msg_t msg;
} proto_frame_t;

typedef struct {
    uint8_t buf[PROTO_ENCODED_MAX_LEN];
    size_t len;
    bool overrun;
    bool have_seq;
    uint16_t expected;
    proto_stats_t stats;
} proto_decoder_t;

/* CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF (pass it as crc), check("123456789") 0x29B1. */
uint16_t proto_crc16(const uint8_t *data, size_t len, uint16_t crc);

/* COBS; out must hold len + len / 254 + 1 bytes. Returns the encoded length. */
size_t proto_cobs_encode(const uint8_t *in, size_t len, uint8_t *out);
/* Decodes one frame's bytes (split on 0x00); out must hold len bytes. Returns -1 if invalid. */
int proto_cobs_decode(const uint8_t *in, size_t len, uint8_t *out);

/* Payload bytes of a message; returns the length, or -1 if it does not fit or is invalid. */
int proto_encode_payload(const proto_msg_t *m, uint8_t *out, size_t cap);
/* Message from payload bytes; 0 on success, -1 for an unknown type or a wrong layout. */
int proto_decode_payload(uint8_t type, const uint8_t *p, size_t len, proto_msg_t *m);

/* Wire bytes of an arbitrary payload / of a message; 0 if cap is too small. */
size_t proto_frame_raw(uint8_t type, uint16_t seq, const uint8_t *payload, size_t len,
                       uint8_t *out, size_t cap);
size_t proto_encode_frame(const proto_msg_t *m, uint16_t seq, uint8_t *out, size_t cap);

void proto_decoder_init(proto_decoder_t *d);
void proto_decoder_reset_sequence(proto_decoder_t *d);
/* Feeds one received byte; true when it completed a valid frame, stored in *out. */
bool proto_decoder_feed(proto_decoder_t *d, uint8_t byte, proto_frame_t *out);

#endif
