/*
 * Host test of protocol.c against hw/protocol/vectors.json (via the generated vectors.h).
 *   test_protocol          check every vector byte for byte; exit 1 on any mismatch
 *   test_protocol --pipe   decode frames from stdin, re-encode each message to stdout
 *                          (the Python round-trip test), stats on stderr at the end
 */
#include <stdio.h>
#include <string.h>

#include "protocol.h"

typedef struct {
    const char *name;
    uint16_t seq;
    void (*fill)(proto_msg_t *m);
    const uint8_t *frame;
    size_t frame_len;
} enc_vector_t;

typedef struct {
    uint8_t type;
    uint16_t seq;
    const uint8_t *payload;
    size_t len;
} dec_frame_t;

typedef struct {
    const char *name;
    const uint8_t *stream;
    size_t len;
    const dec_frame_t *frames;
    size_t n_frames;
    proto_stats_t stats;
} dec_vector_t;

#include "vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int failures = 0;

static void fail(const char *name, const char *what)
{
    fprintf(stderr, "FAIL %s: %s\n", name, what);
    failures++;
}

static void check_encode(const enc_vector_t *v)
{
    proto_msg_t m, back;
    uint8_t out[PROTO_WIRE_MAX_LEN];
    proto_decoder_t d;
    proto_frame_t f;
    size_t n, i, got = 0;
    memset(&m, 0, sizeof(m));
    v->fill(&m);
    n = proto_encode_frame(&m, v->seq, out, sizeof(out));
    if (n != v->frame_len || memcmp(out, v->frame, n) != 0) fail(v->name, "encoded bytes differ");
    proto_decoder_init(&d);
    for (i = 0; i < v->frame_len; i++) {
        if (proto_decoder_feed(&d, v->frame[i], &f)) {
            got++;
            back = f.msg;
        }
    }
    if (got != 1 || f.seq != v->seq) {
        fail(v->name, "expected frame not decoded");
        return;
    }
    n = proto_encode_frame(&back, v->seq, out, sizeof(out));
    if (n != v->frame_len || memcmp(out, v->frame, n) != 0) fail(v->name, "decode+encode differs");
}

static void check_decode(const dec_vector_t *v)
{
    proto_decoder_t d;
    proto_frame_t f;
    uint8_t payload[PROTO_MAX_PAYLOAD];
    size_t i, k = 0;
    int n;
    proto_decoder_init(&d);
    for (i = 0; i < v->len; i++) {
        if (!proto_decoder_feed(&d, v->stream[i], &f)) continue;
        if (k >= v->n_frames) {
            fail(v->name, "more frames than expected");
            return;
        }
        n = proto_encode_payload(&f.msg, payload, sizeof(payload));
        if (f.type != v->frames[k].type || f.seq != v->frames[k].seq || n != (int)v->frames[k].len
            || memcmp(payload, v->frames[k].payload, (size_t)n) != 0) {
            fail(v->name, "frame differs");
        }
        k++;
    }
    if (k != v->n_frames) fail(v->name, "fewer frames than expected");
    if (memcmp(&d.stats, &v->stats, sizeof(d.stats)) != 0) fail(v->name, "stats differ");
}

static int pipe_mode(void)
{
    proto_decoder_t d;
    proto_frame_t f;
    uint8_t out[PROTO_WIRE_MAX_LEN];
    int c;
    size_t n;
    proto_decoder_init(&d);
    while ((c = getchar()) != EOF) {
        if (!proto_decoder_feed(&d, (uint8_t)c, &f)) continue;
        n = proto_encode_frame(&f.msg, f.seq, out, sizeof(out));
        fwrite(out, 1, n, stdout);
    }
    fprintf(stderr, "frames=%u crc_errors=%u framing_errors=%u lost=%u duplicates=%u\n",
            (unsigned)d.stats.frames, (unsigned)d.stats.crc_errors,
            (unsigned)d.stats.framing_errors, (unsigned)d.stats.lost,
            (unsigned)d.stats.duplicates);
    return 0;
}

int main(int argc, char **argv)
{
    size_t i;
    if (argc > 1 && strcmp(argv[1], "--pipe") == 0) return pipe_mode();
    if (proto_crc16((const uint8_t *)"123456789", 9, 0xFFFFu) != CRC_CHECK_VALUE) {
        fail("crc", "check value");
    }
    for (i = 0; i < COUNT(ENC); i++) check_encode(&ENC[i]);
    for (i = 0; i < COUNT(DEC); i++) check_decode(&DEC[i]);
    printf("%u encode and %u decode vectors, %d failures\n", (unsigned)COUNT(ENC),
           (unsigned)COUNT(DEC), failures);
    return failures ? 1 : 0;
}
