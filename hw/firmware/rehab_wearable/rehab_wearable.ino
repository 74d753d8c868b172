/*
 * rehab_wearable: the kiosk's IMU wearable on a Seeed Studio XIAO nRF52840 Sense.
 *
 * Samples the onboard LSM6DS3TR-C at a fixed rate from a hardware timer, packs raw
 * counts into IMU_BATCH messages (hw/protocol/PROTOCOL.md) and streams them over USB
 * serial (COBS frames) and over BLE (the same payload as a GATT notification). Answers
 * HELLO_REQ and TIME_REQ, reports the battery, stops streaming when the USB host closes
 * the port (DTR low) or the BLE central disconnects.
 *
 * Build: Arduino core "Seeed nRF52 Boards" (the Adafruit-based, non-mbed one; it ships
 * the Bluefruit BLE library) + library "Seeed Arduino LSM6DS3". `make -C hw/firmware
 * firmware` copies protocol.c/.h in and runs arduino-cli; see hw/README.md.
 * The protocol code is the host-tested protocol.c; this file is the board glue only and
 * has not been run in CI (no board there): use the smoke-test checklist in hw/README.md.
 */
#include <Arduino.h>
#include <LSM6DS3.h>
#include <Wire.h>
#include <bluefruit.h>

extern "C" {
#include "protocol.h"
}

/* ---- configuration ---- */
static const uint8_t FW_MAJOR = 0, FW_MINOR = 3, FW_PATCH = 1;
static const uint16_t MAX_RATE_HZ = 400;
static const uint32_t BATTERY_EVERY_MS = 10000;
static const uint32_t BATTERY_LOW_MV = 3500;

/* LSM6DS3TR-C datasheet, table 3: gyro sensitivity is 8.75/17.5/35/70 mdps/LSB, so the
 * scale that makes "dps = count * fs / 32768" exact is 32.768 * sensitivity, not the
 * nominal range. The accelerometer's 0.061/0.122/0.244/0.488 mg/LSB match 2/4/8/16 g. */
struct GyroRange { uint16_t nominal_dps; uint16_t scale_dps; };
static const GyroRange GYRO_RANGES[] = {
    {125, 143}, {250, 287}, {500, 573}, {1000, 1147}, {2000, 2294}};
static const uint8_t ACCEL_RANGES[] = {2, 4, 8, 16};
static const uint16_t RATES_HZ[] = {25, 50, 100, 200, 400};

/* ---- state ---- */
LSM6DS3 imu(I2C_MODE, 0x6A);
BLEService imu_service("7e1a0001-8b5d-4c2e-9f61-0c5ad1e0b7a1");
BLECharacteristic batch_chr("7e1a0002-8b5d-4c2e-9f61-0c5ad1e0b7a1");
BLECharacteristic control_chr("7e1a0003-8b5d-4c2e-9f61-0c5ad1e0b7a1");
BLECharacteristic info_chr("7e1a0004-8b5d-4c2e-9f61-0c5ad1e0b7a1");
BLEBas ble_battery;

enum Transport { USB = 1, BLE = 2 };

static proto_decoder_t usb_rx;
static uint16_t usb_tx_seq = 0;
static uint8_t streaming = 0; /* bit mask of Transport */
static proto_start_t cfg;
static uint16_t gyro_scale_dps = 1147;
static uint32_t period_us = 10000;
static uint8_t ble_batch_max = 1;
static proto_msg_t batch;         /* the batch being filled */
static uint32_t next_sample_seq = 0;
static bool overrun_flag = false;
static uint32_t last_battery_ms = 0;
static uint32_t last_battery_mv = 4200;
static uint16_t ble_conn = BLE_CONN_HANDLE_INVALID;

static volatile bool sample_due = false;
static volatile uint64_t sample_time_us = 0;
static volatile uint32_t missed_ticks = 0;

/* ---- 64-bit microsecond clock (micros() wraps every 71 minutes) ---- */
static uint64_t device_us(void)
{
    static uint32_t last = 0, high = 0;
    noInterrupts();
    uint32_t now = micros();
    if (now < last) high++;
    last = now;
    uint64_t t = ((uint64_t)high << 32) | now;
    interrupts();
    return t;
}

/* ---- sampling timer: TIMER3 at 1 MHz (TIMER0 belongs to the SoftDevice) ---- */
extern "C" void TIMER3_IRQHandler(void)
{
    if (NRF_TIMER3->EVENTS_COMPARE[0]) {
        NRF_TIMER3->EVENTS_COMPARE[0] = 0;
        if (sample_due) missed_ticks++;
        sample_time_us = device_us();
        sample_due = true;
    }
}

static void timer_start(uint32_t period)
{
    NRF_CLOCK->TASKS_HFCLKSTART = 1; /* crystal, not the RC oscillator: +-40 ppm */
    NRF_TIMER3->TASKS_STOP = 1;
    NRF_TIMER3->MODE = TIMER_MODE_MODE_Timer;
    NRF_TIMER3->BITMODE = TIMER_BITMODE_BITMODE_32Bit;
    NRF_TIMER3->PRESCALER = 4; /* 16 MHz / 2^4 = 1 MHz */
    NRF_TIMER3->CC[0] = period;
    NRF_TIMER3->SHORTS = TIMER_SHORTS_COMPARE0_CLEAR_Msk;
    NRF_TIMER3->INTENSET = TIMER_INTENSET_COMPARE0_Msk;
    NVIC_SetPriority(TIMER3_IRQn, 3);
    NVIC_EnableIRQ(TIMER3_IRQn);
    NRF_TIMER3->TASKS_CLEAR = 1;
    NRF_TIMER3->TASKS_START = 1;
}

static void timer_stop(void)
{
    NRF_TIMER3->TASKS_STOP = 1;
    sample_due = false;
}

/* ---- sending ---- */
static void send(uint8_t to, const proto_msg_t *m)
{
    if (to & USB) {
        uint8_t wire[PROTO_WIRE_MAX_LEN];
        size_t n = proto_encode_frame(m, usb_tx_seq++, wire, sizeof(wire));
        if (n && Serial && Serial.availableForWrite() >= (int)n) {
            Serial.write(wire, n);
        } else if (n && m->type == PROTO_IMU_BATCH) {
            overrun_flag = true; /* host not keeping up: say so in the next batch */
        }
    }
    if (to & BLE) {
        uint8_t buf[1 + PROTO_MAX_PAYLOAD];
        int n = proto_encode_payload(m, buf + 1, sizeof(buf) - 1);
        if (n < 0 || !Bluefruit.connected()) return;
        if (m->type == PROTO_IMU_BATCH) {
            if (!batch_chr.notify(buf + 1, (uint16_t)n)) overrun_flag = true;
        } else {
            buf[0] = m->type;
            control_chr.notify(buf, (uint16_t)(n + 1));
        }
    }
}

static void send_ack(uint8_t to, uint8_t type, uint16_t seq, uint8_t status)
{
    proto_msg_t m;
    m.type = PROTO_ACK;
    m.u.ack.acked_type = type;
    m.u.ack.acked_seq = seq;
    m.u.ack.status = status;
    send(to, &m);
}

static void send_error(uint8_t to, uint8_t code, uint8_t ref_type, uint16_t detail)
{
    proto_msg_t m;
    m.type = PROTO_ERROR;
    m.u.error.code = code;
    m.u.error.ref_type = ref_type;
    m.u.error.detail = detail;
    send(to, &m);
}

static void fill_hello(proto_msg_t *m)
{
    m->type = PROTO_HELLO;
    proto_hello_t *h = &m->u.hello;
    h->proto_version = PROTO_VERSION;
    h->fw_major = FW_MAJOR;
    h->fw_minor = FW_MINOR;
    h->fw_patch = FW_PATCH;
    h->device_id = ((uint64_t)NRF_FICR->DEVICEID[1] << 32) | NRF_FICR->DEVICEID[0];
    h->n_sensors = 1;
    h->sensors[0].index = 0;
    h->sensors[0].kind = 1;
    h->sensors[0].accel_fs_g = cfg.accel_fs_g ? cfg.accel_fs_g : 8;
    h->sensors[0].gyro_fs_dps = gyro_scale_dps;
    h->sensors[0].max_rate_hz = MAX_RATE_HZ;
}

/* ---- battery: 1 M / 510 k divider on P0.31, enabled by driving VBAT_ENABLE low ---- */
static void send_battery(uint8_t to)
{
    uint32_t raw = 0;
    for (int i = 0; i < 8; i++) raw += analogRead(PIN_VBAT);
    uint32_t mv = (raw / 8) * 2400u / 4096u * 1510u / 510u;
    proto_msg_t m;
    m.type = PROTO_BATTERY;
    m.u.battery.millivolts = (uint16_t)mv;
    /* Li-ion, roughly linear between 3.3 V (0 %) and 4.2 V (100 %) under light load. */
    int pct = mv <= 3300 ? 0 : mv >= 4200 ? 100 : (int)((mv - 3300) / 9);
    m.u.battery.percent = (uint8_t)pct;
    /* BQ25101 CHG on P0.17, low while charging (read the port: pin names differ by core) */
    bool charging = ((NRF_P0->IN >> 17) & 1u) == 0u;
    m.u.battery.flags = (uint8_t)((charging ? 1 : 0) | (Serial ? 2 : 0));
    last_battery_mv = mv;
    send(to, &m);
    ble_battery.write((uint8_t)pct);
    last_battery_ms = millis();
}

/* ---- commands (from USB frames or BLE control writes) ---- */
static bool configure_imu(const proto_start_t *s, uint8_t *code)
{
    size_t i;
    bool rate_ok = false, acc_ok = false;
    gyro_scale_dps = 0;
    for (i = 0; i < sizeof(RATES_HZ) / sizeof(RATES_HZ[0]); i++) rate_ok |= RATES_HZ[i] == s->rate_hz;
    for (i = 0; i < sizeof(ACCEL_RANGES); i++) acc_ok |= ACCEL_RANGES[i] == s->accel_fs_g;
    for (i = 0; i < sizeof(GYRO_RANGES) / sizeof(GYRO_RANGES[0]); i++) {
        if (GYRO_RANGES[i].nominal_dps == s->gyro_fs_dps) gyro_scale_dps = GYRO_RANGES[i].scale_dps;
    }
    if (!rate_ok) { *code = PROTO_ERR_UNSUPPORTED_RATE; return false; }
    if (!acc_ok || !gyro_scale_dps) { *code = PROTO_ERR_UNSUPPORTED_RANGE; return false; }
    if (s->batch_len < 1 || s->batch_len > PROTO_MAX_BATCH_SAMPLES) { *code = PROTO_ERR_BAD_PAYLOAD; return false; }
    imu.settings.accelRange = s->accel_fs_g;
    imu.settings.gyroRange = s->gyro_fs_dps;
    /* output data rate at or above the sampling rate; the timer picks the samples */
    imu.settings.accelSampleRate = s->rate_hz <= 50 ? 52 : s->rate_hz <= 100 ? 104 : s->rate_hz <= 200 ? 208 : 416;
    imu.settings.gyroSampleRate = imu.settings.accelSampleRate;
    if (imu.begin() != 0) { *code = PROTO_ERR_SENSOR_FAULT; return false; }
    return true;
}

static void handle(uint8_t from, const proto_msg_t *m, uint16_t seq)
{
    switch (m->type) {
    case PROTO_HELLO_REQ: {
        proto_msg_t h;
        fill_hello(&h);
        send(from, &h);
        break;
    }
    case PROTO_TIME_REQ: {
        proto_msg_t r;
        r.type = PROTO_TIME_RESP;
        r.u.time_resp.request_id = m->u.time_req.request_id;
        r.u.time_resp.device_us = device_us();
        send(from, &r);
        break;
    }
    case PROTO_START: {
        uint8_t code = PROTO_ERR_OK;
        proto_start_t s = m->u.start;
        if (from == BLE) {
            BLEConnection *conn = Bluefruit.Connection(ble_conn);
            uint16_t mtu = conn ? conn->getMtu() : 23;
            if (mtu < 3 + PROTO_BATCH_HEADER_LEN + PROTO_SAMPLE_LEN) code = PROTO_ERR_UNSUPPORTED_RATE;
            ble_batch_max = (uint8_t)((mtu - 3 - PROTO_BATCH_HEADER_LEN) / PROTO_SAMPLE_LEN);
            if (s.batch_len > ble_batch_max) s.batch_len = ble_batch_max;
        }
        if (code == PROTO_ERR_OK && !configure_imu(&s, &code)) { /* code set */ }
        send_ack(from, PROTO_START, seq, code);
        if (code != PROTO_ERR_OK) {
            send_error(from, code, PROTO_START, s.rate_hz);
            break;
        }
        cfg = s;
        period_us = 1000000u / s.rate_hz;
        batch.type = PROTO_IMU_BATCH;
        batch.u.imu_batch.n = 0;
        next_sample_seq = 0;
        streaming |= from;
        timer_start(period_us);
        break;
    }
    case PROTO_STOP:
        streaming &= (uint8_t)~from;
        if (!streaming) timer_stop();
        send_ack(from, PROTO_STOP, seq, PROTO_ERR_OK);
        break;
    default:
        send_error(from, PROTO_ERR_UNKNOWN_TYPE, m->type, seq);
        break;
    }
}

static void control_written(uint16_t conn, BLECharacteristic *chr, uint8_t *data, uint16_t len)
{
    (void)chr;
    ble_conn = conn;
    proto_msg_t m;
    if (len < 1 || proto_decode_payload(data[0], data + 1, len - 1u, &m) != 0) {
        send_error(BLE, PROTO_ERR_BAD_PAYLOAD, len ? data[0] : 0, len);
        return;
    }
    handle(BLE, &m, 0);
}

static void ble_disconnected(uint16_t conn, uint8_t reason)
{
    (void)conn;
    (void)reason;
    streaming &= (uint8_t)~BLE;
    if (!streaming) timer_stop();
}

/* ---- sampling ---- */
static void take_sample(void)
{
    proto_imu_batch_t *b = &batch.u.imu_batch;
    noInterrupts();
    uint64_t t = sample_time_us;
    sample_due = false;
    uint32_t missed = missed_ticks;
    missed_ticks = 0;
    interrupts();
    if (missed) {
        /* the loop was late: the sequence number jumps, the host sees the gap */
        next_sample_seq += missed;
        if (b->n) { send(streaming, &batch); b->n = 0; }
    }
    if (b->n == 0) {
        b->sample_seq = next_sample_seq;
        b->t_first_us = t;
        b->period_us = period_us;
        b->gyro_fs_dps = gyro_scale_dps;
        b->accel_fs_g = cfg.accel_fs_g;
        b->sensor = 0;
        b->flags = overrun_flag ? 1 : 0;
        overrun_flag = false;
    }
    int16_t *c = b->counts[b->n];
    c[0] = imu.readRawAccelX();
    c[1] = imu.readRawAccelY();
    c[2] = imu.readRawAccelZ();
    c[3] = imu.readRawGyroX();
    c[4] = imu.readRawGyroY();
    c[5] = imu.readRawGyroZ();
    b->n++;
    next_sample_seq++;
    uint8_t limit = (streaming & BLE) && ble_batch_max < cfg.batch_len ? ble_batch_max : cfg.batch_len;
    if (b->n >= limit) {
        send(streaming, &batch);
        b->n = 0;
    }
}

/* ---- Arduino entry points ---- */
void setup()
{
    Serial.begin(115200); /* USB CDC: the rate is ignored; never wait for !Serial here */
    proto_decoder_init(&usb_rx);
#ifdef PIN_LSM6DS3TR_C_POWER /* the Sense powers its IMU from a GPIO */
    pinMode(PIN_LSM6DS3TR_C_POWER, OUTPUT);
    digitalWrite(PIN_LSM6DS3TR_C_POWER, HIGH);
    delay(10);
#endif
    cfg.rate_hz = 100;
    cfg.accel_fs_g = 8;
    cfg.gyro_fs_dps = 1000;
    cfg.batch_len = 10;
    imu.settings.accelRange = 8;
    imu.settings.gyroRange = 1000;
    imu.begin();

    pinMode(VBAT_ENABLE, OUTPUT);
    digitalWrite(VBAT_ENABLE, LOW); /* never drive it high while on USB (board errata) */
    NRF_P0->PIN_CNF[17] = GPIO_PIN_CNF_DIR_Input | (GPIO_PIN_CNF_INPUT_Connect << GPIO_PIN_CNF_INPUT_Pos);
    analogReference(AR_INTERNAL_2_4);
    analogReadResolution(12);

    Bluefruit.configPrphBandwidth(BANDWIDTH_MAX); /* ATT MTU 247 */
    Bluefruit.begin();
    Bluefruit.Periph.setDisconnectCallback(ble_disconnected);
    char name[20];
    snprintf(name, sizeof(name), "rehab-imu-%04lx", (unsigned long)(NRF_FICR->DEVICEID[0] & 0xFFFF));
    Bluefruit.setName(name);
    ble_battery.begin();
    imu_service.begin();
    batch_chr.setProperties(CHR_PROPS_NOTIFY);
    batch_chr.setPermission(SECMODE_OPEN, SECMODE_NO_ACCESS);
    batch_chr.setMaxLen(PROTO_BATCH_HEADER_LEN + PROTO_SAMPLE_LEN * PROTO_MAX_BATCH_SAMPLES);
    batch_chr.begin();
    control_chr.setProperties(CHR_PROPS_WRITE | CHR_PROPS_NOTIFY);
    control_chr.setPermission(SECMODE_OPEN, SECMODE_OPEN);
    control_chr.setMaxLen(1 + PROTO_MAX_PAYLOAD);
    control_chr.setWriteCallback(control_written);
    control_chr.begin();
    proto_msg_t hello;
    uint8_t info[PROTO_MAX_PAYLOAD];
    fill_hello(&hello);
    int n = proto_encode_payload(&hello, info, sizeof(info));
    info_chr.setProperties(CHR_PROPS_READ);
    info_chr.setPermission(SECMODE_OPEN, SECMODE_NO_ACCESS);
    info_chr.setMaxLen(sizeof(info));
    info_chr.begin();
    info_chr.write(info, (uint16_t)n);
    Bluefruit.Advertising.addFlags(BLE_GAP_ADV_FLAGS_LE_ONLY_GENERAL_DISC_MODE);
    Bluefruit.Advertising.addService(imu_service);
    Bluefruit.ScanResponse.addName();
    Bluefruit.Advertising.restartOnDisconnect(true);
    Bluefruit.Advertising.start(0);
}

void loop()
{
    proto_frame_t f;
    while (Serial.available() > 0) {
        if (proto_decoder_feed(&usb_rx, (uint8_t)Serial.read(), &f)) handle(USB, &f.msg, f.seq);
    }
    if ((streaming & USB) && !Serial) { /* DTR dropped: the host closed the port */
        streaming &= (uint8_t)~USB;
        if (!streaming) timer_stop();
        proto_decoder_init(&usb_rx);
    }
    if (sample_due && streaming) take_sample();
    uint32_t every = last_battery_mv < BATTERY_LOW_MV ? BATTERY_EVERY_MS / 2 : BATTERY_EVERY_MS;
    if (streaming && millis() - last_battery_ms >= every) send_battery(streaming);
    if (!streaming) delay(1);
}
