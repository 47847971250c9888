/**
 * What a ring slot holds: a fully built event given to `emit()`, or one of the four events of a
 * hop recorded by the instrumentation as (kind, hop record) — the record carries the fields the
 * hop's events share, so recording an event allocates nothing (see `HopRecord`).
 */
export const SlotKind = {
  event: 0,
  REQ: 1,
  IN: 2,
  OUT: 3,
  REP: 4,
} as const;
export type SlotKind = (typeof SlotKind)[keyof typeof SlotKind];

/** The hop kinds, as recorded by the instrumentation. */
export type HopEventKind = typeof SlotKind.REQ | typeof SlotKind.IN | typeof SlotKind.OUT | typeof SlotKind.REP;
