/*
 * Wire protocol version 1: framing, CRC, payload layouts, stream decoder.
 * See protocol.h and hw/protocol/PROTOCOL.md. No dynamic allocation, no I/O, C99.
 */
#include "protocol.h"

/* Freestanding: no libc at all (Debian's gcc-arm-none-eabi ships without newlib headers). */
static void zero_bytes(void *p, size_t n)
{
    uint8_t *b = (uint8_t *)p;
    while (n--) *b++ = 0u;
}

static void copy_bytes(uint8_t *dst, const uint8_t *src, size_t n)
{
    while (n--) *dst++ = *src++;
}

/* ---- little-endian helpers (the wire order, whatever the CPU's) ---- */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, (uint16_t)(v & 0xFFFFu));
    put_u16(p + 2, (uint16_t)(v >> 16));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)(v & 0xFFFFFFFFu));
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] | (uint16_t)((uint16_t)p[1] << 8));
}

static uint16_t get_u16_be(const uint8_t *p)
{
    return (uint16_t)((uint16_t)((uint16_t)p[0] << 8) | (uint16_t)p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)get_u16(p) | ((uint32_t)get_u16(p + 2) << 16);
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

/* ---- CRC-16/CCITT-FALSE, bitwise (a frame per 10 ms needs no table) ---- */

uint16_t proto_crc16(const uint8_t *data, size_t len, uint16_t crc)
{
    size_t i;
    int b;
    for (i = 0; i < len; i++) {
        crc = (uint16_t)(crc ^ (uint16_t)((uint16_t)data[i] << 8));
        for (b = 0; b < 8; b++) {
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

/* ---- COBS ---- */

size_t proto_cobs_encode(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t code_at = 0, o = 1, i;
    uint8_t code = 1;
    for (i = 0; i < len; i++) {
        if (in[i] == 0u) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            out[o++] = in[i];
            code++;
            if (code == 0xFFu) {
                out[code_at] = code;
                code = 1;
                if (i + 1u == len) {
                    return o; /* a full block at the end needs no final code */
                }
                code_at = o++;
            }
        }
    }
    out[code_at] = code;
    return o;
}

int proto_cobs_decode(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t i = 0, o = 0, j, k;
    while (i < len) {
        uint8_t code = in[i];
        if (code == 0u) {
            return -1;
        }
        j = i + code;
        if (j > len) {
            return -1;
        }
        for (k = i + 1u; k < j; k++) {
            if (in[k] == 0u) {
                return -1;
            }
            out[o++] = in[k];
        }
        if (code != 0xFFu && j < len) {
            out[o++] = 0u;
        }
        i = j;
    }
    return (int)o;
}

/* ---- payloads (layouts: PROTOCOL.md, "Messages") ---- */

#define HELLO_HEAD_LEN 13u
#define SENSOR_LEN 7u

int proto_encode_payload(const proto_msg_t *m, uint8_t *out, size_t cap)
{
    size_t n = 0, i, a;
    switch (m->type) {
    case PROTO_HELLO_REQ:
        n = 1u;
        if (cap < n) return -1;
        out[0] = m->u.hello_req.host_version;
        break;
    case PROTO_HELLO: {
        const proto_hello_t *h = &m->u.hello;
        if (h->n_sensors > PROTO_MAX_SENSORS) return -1;
        n = HELLO_HEAD_LEN + SENSOR_LEN * h->n_sensors;
        if (cap < n) return -1;
        out[0] = h->proto_version;
        out[1] = h->fw_major;
        out[2] = h->fw_minor;
        out[3] = h->fw_patch;
        put_u64(out + 4, h->device_id);
        out[12] = h->n_sensors;
        for (i = 0; i < h->n_sensors; i++) {
            uint8_t *s = out + HELLO_HEAD_LEN + SENSOR_LEN * i;
            s[0] = h->sensors[i].index;
            s[1] = h->sensors[i].kind;
            s[2] = h->sensors[i].accel_fs_g;
            put_u16(s + 3, h->sensors[i].gyro_fs_dps);
            put_u16(s + 5, h->sensors[i].max_rate_hz);
        }
        break;
    }
    case PROTO_START:
        n = 7u;
        if (cap < n) return -1;
        put_u16(out, m->u.start.rate_hz);
        out[2] = m->u.start.accel_fs_g;
        put_u16(out + 3, m->u.start.gyro_fs_dps);
        out[5] = m->u.start.sensor_mask;
        out[6] = m->u.start.batch_len;
        break;
    case PROTO_STOP:
        n = 0u;
        break;
    case PROTO_IMU_BATCH: {
        const proto_imu_batch_t *b = &m->u.imu_batch;
        if (b->n < 1u || b->n > PROTO_MAX_BATCH_SAMPLES) return -1;
        n = PROTO_BATCH_HEADER_LEN + PROTO_SAMPLE_LEN * b->n;
        if (cap < n) return -1;
        put_u32(out, b->sample_seq);
        put_u64(out + 4, b->t_first_us);
        put_u32(out + 12, b->period_us);
        put_u16(out + 16, b->gyro_fs_dps);
        out[18] = b->accel_fs_g;
        out[19] = b->sensor;
        out[20] = b->n;
        out[21] = b->flags;
        for (i = 0; i < b->n; i++) {
            for (a = 0; a < 6u; a++) {
                put_u16(out + PROTO_BATCH_HEADER_LEN + PROTO_SAMPLE_LEN * i + 2u * a,
                        (uint16_t)b->counts[i][a]);
            }
        }
        break;
    }
    case PROTO_BATTERY:
        n = 4u;
        if (cap < n) return -1;
        put_u16(out, m->u.battery.millivolts);
        out[2] = m->u.battery.percent;
        out[3] = m->u.battery.flags;
        break;
    case PROTO_TIME_REQ:
        n = 4u;
        if (cap < n) return -1;
        put_u32(out, m->u.time_req.request_id);
        break;
    case PROTO_TIME_RESP:
        n = 12u;
        if (cap < n) return -1;
        put_u32(out, m->u.time_resp.request_id);
        put_u64(out + 4, m->u.time_resp.device_us);
        break;
    case PROTO_ACK:
        n = 4u;
        if (cap < n) return -1;
        out[0] = m->u.ack.acked_type;
        put_u16(out + 1, m->u.ack.acked_seq);
        out[3] = m->u.ack.status;
        break;
    case PROTO_ERROR:
        n = 4u;
        if (cap < n) return -1;
        out[0] = m->u.error.code;
        out[1] = m->u.error.ref_type;
        put_u16(out + 2, m->u.error.detail);
        break;
    default:
        return -1;
    }
    return (int)n;
}

int proto_decode_payload(uint8_t type, const uint8_t *p, size_t len, proto_msg_t *m)
{
    size_t i, a;
    zero_bytes(m, sizeof(*m));
    m->type = type;
    switch (type) {
    case PROTO_HELLO_REQ:
        if (len != 1u) return -1;
        m->u.hello_req.host_version = p[0];
        return 0;
    case PROTO_HELLO: {
        proto_hello_t *h = &m->u.hello;
        if (len < HELLO_HEAD_LEN) return -1;
        if (p[12] > PROTO_MAX_SENSORS || len != HELLO_HEAD_LEN + SENSOR_LEN * p[12]) return -1;
        h->proto_version = p[0];
        h->fw_major = p[1];
        h->fw_minor = p[2];
        h->fw_patch = p[3];
        h->device_id = get_u64(p + 4);
        h->n_sensors = p[12];
        for (i = 0; i < h->n_sensors; i++) {
            const uint8_t *s = p + HELLO_HEAD_LEN + SENSOR_LEN * i;
            h->sensors[i].index = s[0];
            h->sensors[i].kind = s[1];
            h->sensors[i].accel_fs_g = s[2];
            h->sensors[i].gyro_fs_dps = get_u16(s + 3);
            h->sensors[i].max_rate_hz = get_u16(s + 5);
        }
        return 0;
    }
    case PROTO_START:
        if (len != 7u) return -1;
        m->u.start.rate_hz = get_u16(p);
        m->u.start.accel_fs_g = p[2];
        m->u.start.gyro_fs_dps = get_u16(p + 3);
        m->u.start.sensor_mask = p[5];
        m->u.start.batch_len = p[6];
        return 0;
    case PROTO_STOP:
        return len == 0u ? 0 : -1;
    case PROTO_IMU_BATCH: {
        proto_imu_batch_t *b = &m->u.imu_batch;
        if (len < PROTO_BATCH_HEADER_LEN) return -1;
        if (p[20] < 1u || p[20] > PROTO_MAX_BATCH_SAMPLES) return -1;
        if (len != PROTO_BATCH_HEADER_LEN + PROTO_SAMPLE_LEN * p[20]) return -1;
        b->sample_seq = get_u32(p);
        b->t_first_us = get_u64(p + 4);
        b->period_us = get_u32(p + 12);
        b->gyro_fs_dps = get_u16(p + 16);
        b->accel_fs_g = p[18];
        b->sensor = p[19];
        b->n = p[20];
        b->flags = p[21];
        for (i = 0; i < b->n; i++) {
            for (a = 0; a < 6u; a++) {
                b->counts[i][a] =
                    (int16_t)get_u16(p + PROTO_BATCH_HEADER_LEN + PROTO_SAMPLE_LEN * i + 2u * a);
            }
        }
        return 0;
    }
    case PROTO_BATTERY:
        if (len != 4u) return -1;
        m->u.battery.millivolts = get_u16(p);
        m->u.battery.percent = p[2];
        m->u.battery.flags = p[3];
        return 0;
    case PROTO_TIME_REQ:
        if (len != 4u) return -1;
        m->u.time_req.request_id = get_u32(p);
        return 0;
    case PROTO_TIME_RESP:
        if (len != 12u) return -1;
        m->u.time_resp.request_id = get_u32(p);
        m->u.time_resp.device_us = get_u64(p + 4);
        return 0;
    case PROTO_ACK:
        if (len != 4u) return -1;
        m->u.ack.acked_type = p[0];
        m->u.ack.acked_seq = get_u16(p + 1);
        m->u.ack.status = p[3];
        return 0;
    case PROTO_ERROR:
        if (len != 4u) return -1;
        m->u.error.code = p[0];
        m->u.error.ref_type = p[1];
        m->u.error.detail = get_u16(p + 2);
        return 0;
    default:
        return -1;
    }
}

/* ---- framing ---- */

size_t proto_frame_raw(uint8_t type, uint16_t seq, const uint8_t *payload, size_t len,
                       uint8_t *out, size_t cap)
{
    uint8_t body[PROTO_FRAME_MAX_LEN];
    uint16_t crc;
    size_t n;
    if (len > PROTO_MAX_PAYLOAD) return 0;
    body[0] = type;
    put_u16(body + 1, seq);
    body[3] = (uint8_t)len;
    copy_bytes(body + PROTO_HEADER_LEN, payload, len);
    n = PROTO_HEADER_LEN + len;
    crc = proto_crc16(body, n, 0xFFFFu);
    body[n++] = (uint8_t)(crc >> 8); /* big-endian, as this CRC is conventionally sent */
    body[n++] = (uint8_t)(crc & 0xFFu);
    if (cap < n + n / 254u + 3u) return 0;
    out[0] = 0u;
    n = 1u + proto_cobs_encode(body, n, out + 1);
    out[n++] = 0u;
    return n;
}

size_t proto_encode_frame(const proto_msg_t *m, uint16_t seq, uint8_t *out, size_t cap)
{
    uint8_t payload[PROTO_MAX_PAYLOAD];
    int n = proto_encode_payload(m, payload, sizeof(payload));
    if (n < 0) return 0;
    return proto_frame_raw(m->type, seq, payload, (size_t)n, out, cap);
}

/* ---- stream decoder (same rules as firmware_bridge/codec.py) ---- */

void proto_decoder_init(proto_decoder_t *d)
{
    zero_bytes(d, sizeof(*d));
}

void proto_decoder_reset_sequence(proto_decoder_t *d)
{
    d->have_seq = false;
}

/* False for a duplicate, which is dropped. */
static bool track_sequence(proto_decoder_t *d, uint8_t type, uint16_t seq)
{
    if (!d->have_seq || type == PROTO_HELLO) {
        if (d->have_seq) d->stats.restarts++;
    } else {
        uint16_t ahead = (uint16_t)(seq - d->expected);
        if (ahead != 0u) {
            uint32_t behind = 0x10000u - ahead;
            if (behind <= PROTO_DUPLICATE_WINDOW) {
                d->stats.duplicates++;
                return false;
            }
            if (ahead < 0x8000u) {
                d->stats.gaps++;
                d->stats.lost += ahead;
            } else {
                d->stats.restarts++;
            }
        }
    }
    d->have_seq = true;
    d->expected = (uint16_t)(seq + 1u);
    return true;
}

static bool end_of_frame(proto_decoder_t *d, proto_frame_t *out)
{
    uint8_t body[PROTO_ENCODED_MAX_LEN];
    int n = proto_cobs_decode(d->buf, d->len, body);
    uint16_t seq;
    /* The length byte matters: with no final XOR in this CRC, a valid frame plus one 0x00
     * (a delimiter corrupted to 0x01) is again CRC-valid. */
    if (n < (int)PROTO_FRAME_MIN_LEN || body[3] != (uint8_t)(n - (int)PROTO_FRAME_MIN_LEN)) {
        d->stats.framing_errors++;
        return false;
    }
    if (proto_crc16(body, (size_t)n - 2u, 0xFFFFu) != get_u16_be(body + n - 2)) {
        d->stats.crc_errors++;
        return false;
    }
    seq = get_u16(body + 1);
    if (!track_sequence(d, body[0], seq)) return false;
    if (proto_decode_payload(body[0], body + PROTO_HEADER_LEN, body[3], &out->msg) != 0) {
        d->stats.bad_payload++;
        return false;
    }
    out->type = body[0];
    out->seq = seq;
    d->stats.frames++;
    return true;
}

bool proto_decoder_feed(proto_decoder_t *d, uint8_t byte, proto_frame_t *out)
{
    bool ok = false;
    if (byte != 0u) {
        if (d->overrun) return false;
        if (d->len == PROTO_ENCODED_MAX_LEN) {
            d->overrun = true;
            d->stats.overruns++;
            d->len = 0;
            return false;
        }
        d->buf[d->len++] = byte;
        return false;
    }
    if (d->overrun) {
        d->overrun = false;
    } else if (d->len > 0u) {
        ok = end_of_frame(d, out);
    }
    d->len = 0;
    return ok;
}
