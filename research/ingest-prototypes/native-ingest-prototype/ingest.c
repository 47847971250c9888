/*
 * The byte-keyed ingest prototype (../byte-keyed-ingest-prototype.ts) in C behind N-API, to measure
 * what a native ingest core would cost per event — the figure the collector's ingest target hinges
 * on (docs/benchmarks.md, "What a JavaScript ingest path allows"). Not used by the collector.
 *
 * Same work as the TypeScript prototype: walk the datagram, per event find the hop by its
 * (trace id, span id) bytes in an open-addressing table, keep spans in a ring of slots (the oldest
 * is overwritten), intern names once per hop side, index traces, and on the fourth event estimate
 * skew and count both latencies into flat HDR-layout arrays. Assumes well-formed input (the
 * bench's own datagrams). Built by the bench with: cc -O2 -shared -fPIC -I<node include> ingest.c
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define ID_BYTES 32
#define NAME_BYTES 64
#define NAME_SLOTS 4096
#define KEY_SLOTS 256
#define COUNTS_LENGTH 4096 /* HDR layout, 2 significant digits, up to 2^32 µs */
#define ALL_EVENTS 15
#define CLIENT_SIDE 9

typedef struct {
  uint32_t hash;
  uint16_t length;
  uint8_t bytes[NAME_BYTES];
} name_entry;

typedef struct {
  int32_t a, b; /* name ids; -1 = empty */
  uint32_t counts[COUNTS_LENGTH];
} key_counts;

typedef struct {
  uint32_t capacity, next, table_mask, trace_mask;
  uint8_t *ids;      /* per slot: trace id, span id, parent span id */
  uint8_t *id_lengths;
  uint32_t *span_hash, *trace_hash;
  int32_t *span_table;  /* slot + 1, 0 = empty */
  int32_t *trace_table; /* trace record + 1 */
  int32_t *trace_newest, *trace_spans, *trace_of, *free_traces, *older_in_trace;
  uint32_t free_trace_count;
  uint32_t *trace_head_hash;
  double *times, *durations, *skews;
  uint8_t *masks, *live;
  int32_t *from, *from_endpoint, *to, *to_endpoint, *client_host, *server_host, *error_code;
  name_entry names[NAME_SLOTS];
  key_counts *endpoint_counts, *edge_counts;
  double events, complete, overwritten, duplicates;
} core;

static uint32_t hash_bytes(const uint8_t *p, uint32_t n, uint32_t seed) {
  uint32_t h = seed ^ n;
  for (uint32_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static int32_t intern(core *c, const uint8_t *p, uint32_t n) {
  if (n > NAME_BYTES) n = NAME_BYTES;
  uint32_t h = hash_bytes(p, n, 2166136261u);
  for (uint32_t i = h & (NAME_SLOTS - 1), probes = 0; probes < NAME_SLOTS; i = (i + 1) & (NAME_SLOTS - 1), probes++) {
    name_entry *e = &c->names[i];
    if (e->length == 0xffff) {
      e->hash = h;
      e->length = (uint16_t)n;
      memcpy(e->bytes, p, n);
      return (int32_t)i;
    }
    if (e->hash == h && e->length == n && memcmp(e->bytes, p, n) == 0) return (int32_t)i;
  }
  return -1;
}

static uint32_t live_index(uint32_t value) {
  uint32_t v = value | 255u;
  int bucket = 32 - __builtin_clz(v) - 8;
  uint32_t sub = value >> bucket;
  return ((uint32_t)(bucket + 1) << 7) + sub - 128;
}

static void count(key_counts *table, int32_t a, int32_t b, double micros) {
  uint32_t h = ((uint32_t)a * 31u + (uint32_t)b) & (KEY_SLOTS - 1);
  for (uint32_t probes = 0; probes < KEY_SLOTS; h = (h + 1) & (KEY_SLOTS - 1), probes++) {
    key_counts *k = &table[h];
    if (k->a == -1) {
      k->a = a;
      k->b = b;
    }
    if (k->a == a && k->b == b) {
      double m = micros < 0 ? 0 : micros > 3.6e9 ? 3.6e9 : micros;
      uint32_t index = live_index((uint32_t)llround(m));
      if (index < COUNTS_LENGTH) k->counts[index]++;
      return;
    }
  }
}

static int same_id(core *c, uint32_t slot, int which, const uint8_t *p, uint32_t n) {
  return c->id_lengths[slot * 3 + which] == n && memcmp(c->ids + (slot * 3 + which) * ID_BYTES, p, n) == 0;
}

static void copy_id(core *c, uint32_t slot, int which, const uint8_t *p, uint32_t n) {
  if (n > ID_BYTES) n = ID_BYTES;
  c->id_lengths[slot * 3 + which] = (uint8_t)n;
  memcpy(c->ids + (slot * 3 + which) * ID_BYTES, p, n);
}

static void table_remove(int32_t *table, uint32_t mask, const uint32_t *hashes, uint32_t hash, int32_t entry) {
  uint32_t i = hash & mask;
  while (table[i] != entry) {
    if (table[i] == 0) return;
    i = (i + 1) & mask;
  }
  uint32_t hole = i;
  for (uint32_t j = (i + 1) & mask; table[j] != 0; j = (j + 1) & mask) {
    uint32_t home = hashes[table[j] - 1] & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      table[hole] = table[j];
      hole = j;
    }
  }
  table[hole] = 0;
}

static void overwrite(core *c, uint32_t slot) {
  c->overwritten++;
  table_remove(c->span_table, c->table_mask, c->span_hash, c->span_hash[slot], (int32_t)slot + 1);
  int32_t trace = c->trace_of[slot];
  if (--c->trace_spans[trace] == 0) {
    table_remove(c->trace_table, c->trace_mask, c->trace_head_hash, c->trace_head_hash[trace], trace + 1);
    c->free_traces[c->free_trace_count++] = trace;
  }
}

typedef struct {
  const uint8_t *p[16];
  uint32_t n[16];
} fields;

static uint32_t new_span(core *c, const fields *f, uint32_t trace_hash, uint32_t span_hash) {
  uint32_t slot = c->next;
  c->next = slot + 1 == c->capacity ? 0 : slot + 1;
  if (c->live[slot]) overwrite(c, slot);
  c->live[slot] = 1;
  copy_id(c, slot, 0, f->p[2], f->n[2]);
  copy_id(c, slot, 1, f->p[3], f->n[3]);
  copy_id(c, slot, 2, f->p[4], f->n[4]);
  c->span_hash[slot] = span_hash;
  c->trace_hash[slot] = trace_hash;
  c->masks[slot] = 0;
  c->error_code[slot] = -1;
  uint32_t i = span_hash & c->table_mask;
  while (c->span_table[i] != 0) i = (i + 1) & c->table_mask;
  c->span_table[i] = (int32_t)slot + 1;
  int32_t trace = -1;
  for (uint32_t j = trace_hash & c->trace_mask; c->trace_table[j] != 0; j = (j + 1) & c->trace_mask) {
    int32_t t = c->trace_table[j] - 1;
    if (c->trace_head_hash[t] == trace_hash && same_id(c, (uint32_t)c->trace_newest[t], 0, f->p[2], f->n[2])) {
      trace = t;
      break;
    }
  }
  if (trace < 0) {
    trace = c->free_traces[--c->free_trace_count];
    c->trace_head_hash[trace] = trace_hash;
    c->trace_spans[trace] = 0;
    c->older_in_trace[slot] = -1;
    uint32_t j = trace_hash & c->trace_mask;
    while (c->trace_table[j] != 0) j = (j + 1) & c->trace_mask;
    c->trace_table[j] = trace + 1;
  } else {
    c->older_in_trace[slot] = c->trace_newest[trace];
  }
  c->trace_newest[trace] = (int32_t)slot;
  c->trace_spans[trace]++;
  c->trace_of[slot] = trace;
  return slot;
}

static uint32_t varint(const uint8_t *buf, uint32_t *pos) {
  uint32_t value = 0, shift = 0;
  uint8_t byte;
  do {
    byte = buf[(*pos)++];
    value |= (uint32_t)(byte & 0x7f) << shift;
    shift += 7;
  } while (byte >= 0x80);
  return value;
}

static void event(core *c, const uint8_t *buf, uint32_t pos, uint32_t end) {
  fields f;
  memset(&f, 0, sizeof f);
  uint32_t type = 0;
  double timestamp = 0, duration = 0;
  while (pos < end) {
    uint32_t tag = varint(buf, &pos);
    uint32_t field = tag >> 3, wire = tag & 7;
    if (wire == 2) {
      uint32_t n = varint(buf, &pos);
      if (field < 16) {
        f.p[field] = buf + pos;
        f.n[field] = n;
      }
      pos += n;
    } else if (wire == 1) {
      double v;
      memcpy(&v, buf + pos, 8);
      if (field == 9) timestamp = v;
      else if (field == 12) duration = v;
      pos += 8;
    } else if (wire == 0) {
      uint32_t v = varint(buf, &pos);
      if (field == 1) type = v;
    } else pos += 4;
  }
  if (type < 1 || type > 4 || f.n[2] == 0 || f.n[3] == 0) return;
  c->events++;
  uint32_t trace_hash = hash_bytes(f.p[2], f.n[2], 2166136261u);
  uint32_t span_hash = hash_bytes(f.p[3], f.n[3], trace_hash);
  int64_t slot = -1;
  for (uint32_t i = span_hash & c->table_mask; c->span_table[i] != 0; i = (i + 1) & c->table_mask) {
    uint32_t s = (uint32_t)c->span_table[i] - 1;
    if (c->span_hash[s] == span_hash && same_id(c, s, 1, f.p[3], f.n[3]) && same_id(c, s, 0, f.p[2], f.n[2])) {
      slot = s;
      break;
    }
  }
  if (slot < 0) slot = new_span(c, &f, trace_hash, span_hash);
  uint32_t bit = 1u << (type - 1), mask = c->masks[slot];
  if (mask & bit) {
    c->duplicates++;
    return;
  }
  c->masks[slot] = (uint8_t)(mask | bit);
  c->times[slot * 4 + type - 1] = timestamp;
  if (bit & CLIENT_SIDE) {
    if ((mask & CLIENT_SIDE) == 0) {
      c->from[slot] = intern(c, f.p[5], f.n[5]);
      c->from_endpoint[slot] = intern(c, f.p[6], f.n[6]);
      c->client_host[slot] = intern(c, f.p[10], f.n[10]);
    }
    if (type == 4) c->durations[slot * 2] = duration;
  } else {
    if ((mask & ~CLIENT_SIDE & 15) == 0) {
      c->to[slot] = intern(c, f.p[7], f.n[7]);
      c->to_endpoint[slot] = intern(c, f.p[8], f.n[8]);
      c->server_host[slot] = intern(c, f.p[10], f.n[10]);
    }
    if (type == 3) c->durations[slot * 2 + 1] = duration;
  }
  if (f.n[13] != 0) c->error_code[slot] = intern(c, f.p[13], f.n[13]);
  if ((mask | bit) == ALL_EVENTS) {
    c->complete++;
    double *t = c->times + slot * 4;
    c->skews[slot] = (t[1] < t[0] || t[2] > t[3]) ? round(t[0] + (t[3] - t[0] - (t[2] - t[1])) / 2 - t[1]) : 0;
    count(c->endpoint_counts, c->to[slot], c->to_endpoint[slot], c->durations[slot * 2 + 1]);
    count(c->edge_counts, c->from[slot], c->to[slot], c->durations[slot * 2]);
  }
}

static void ingest_datagram(core *c, const uint8_t *buf, uint32_t length) {
  uint32_t pos = 4;
  while (pos < length) {
    uint32_t tag = varint(buf, &pos);
    uint32_t wire = tag & 7;
    if (wire == 2) {
      uint32_t n = varint(buf, &pos);
      if ((tag >> 3) == 6) event(c, buf, pos, pos + n);
      pos += n;
    } else if (wire == 0) varint(buf, &pos);
    else pos += wire == 1 ? 8 : 4;
  }
}

static uint32_t power_of_two_above(uint32_t n) {
  uint32_t size = 1;
  while (size < n * 2) size <<= 1;
  return size;
}

static core *core_new(uint32_t capacity) {
  core *c = calloc(1, sizeof(core));
  c->capacity = capacity;
  uint32_t size = power_of_two_above(capacity);
  c->table_mask = size - 1;
  c->trace_mask = size - 1;
  c->ids = calloc((size_t)capacity * 3, ID_BYTES);
  c->id_lengths = calloc((size_t)capacity * 3, 1);
  c->span_hash = calloc(capacity, 4);
  c->trace_hash = calloc(capacity, 4);
  c->span_table = calloc(size, 4);
  c->trace_table = calloc(size, 4);
  c->trace_newest = calloc(capacity, 4);
  c->trace_spans = calloc(capacity, 4);
  c->trace_of = calloc(capacity, 4);
  c->trace_head_hash = calloc(capacity, 4);
  c->older_in_trace = calloc(capacity, 4);
  c->free_traces = calloc(capacity, 4);
  for (uint32_t i = 0; i < capacity; i++) c->free_traces[i] = (int32_t)(capacity - 1 - i);
  c->free_trace_count = capacity;
  c->times = calloc((size_t)capacity * 4, 8);
  c->durations = calloc((size_t)capacity * 2, 8);
  c->skews = calloc(capacity, 8);
  c->masks = calloc(capacity, 1);
  c->live = calloc(capacity, 1);
  int32_t **columns[] = {&c->from, &c->from_endpoint, &c->to, &c->to_endpoint, &c->client_host, &c->server_host, &c->error_code};
  for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) *columns[i] = calloc(capacity, 4);
  for (uint32_t i = 0; i < NAME_SLOTS; i++) c->names[i].length = 0xffff;
  c->endpoint_counts = calloc(KEY_SLOTS, sizeof(key_counts));
  c->edge_counts = calloc(KEY_SLOTS, sizeof(key_counts));
  for (uint32_t i = 0; i < KEY_SLOTS; i++) c->endpoint_counts[i].a = c->edge_counts[i].a = -1;
  return c;
}

/* JS: create(capacity) → external */
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t capacity = 0;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &capacity) != napi_ok || capacity == 0) {
    napi_throw_type_error(env, NULL, "capacity: must be a positive integer");
    return NULL;
  }
  napi_create_external(env, core_new(capacity), NULL, NULL, &result);
  return result;
}

/* JS: ingest(core, buffer) */
static napi_value js_ingest(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  core *c;
  void *data;
  size_t length;
  if (argc < 2 || napi_get_value_external(env, argv[0], (void **)&c) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "ingest(core, buffer): bad arguments");
    return NULL;
  }
  ingest_datagram(c, data, (uint32_t)length);
  return NULL;
}

/* JS: stats(core) → { events, completeSpans, overwrittenSpans, duplicateEvents } */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, value;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  core *c;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&c) != napi_ok) {
    napi_throw_type_error(env, NULL, "stats(core): bad argument");
    return NULL;
  }
  napi_create_object(env, &result);
  const char *names[] = {"events", "completeSpans", "overwrittenSpans", "duplicateEvents"};
  double values[] = {c->events, c->complete, c->overwritten, c->duplicates};
  for (int i = 0; i < 4; i++) {
    napi_create_double(env, values[i], &value);
    napi_set_named_property(env, result, names[i], value);
  }
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", NULL, js_create, NULL, NULL, NULL, napi_default, NULL},
      {"ingest", NULL, js_ingest, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
