import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A segment file grows to about this size before a new one is started: small enough that a
 * replayed segment is deleted soon after its spans are indexed, large enough to keep file count low.
 */
export const SPOOL_SEGMENT_MAX_BYTES = 8 * 1024 * 1024;
/** One read() call pulls this much from a segment; lines cut at the end are kept for the next read. */
const READ_CHUNK_BYTES = 1024 * 1024;
/**
 * Segment numbers start in the middle of the range so that spans still in memory at shutdown can be
 * written to a segment numbered *before* the oldest one on disk (see {@link DiskSpool.prepend}).
 */
const FIRST_SEGMENT_NUMBER = 1_000_000_000;
const SEGMENT_NAME = /^(\d{16})\.spool$/;

/**
 * When spooled records reach the disk itself rather than the OS page cache (which a power cut loses):
 * - `batch`: what the appends of one event-loop turn wrote (the spans of every datagram read in that turn) is
 *   fsync'd at the end of the turn — one fsync per burst, not per span. The fsync runs on libuv's thread pool
 *   (group commit: appends made while one is in flight are covered by the next), so a slow disk never stalls
 *   the thread that reads the UDP socket; a power cut can lose what was appended during one fsync's latency;
 * - `interval`: the tail is fsync'd every `fsyncIntervalMillis` when written to — at most that much is exposed;
 * - `never`: left to the OS (a process crash loses nothing, a machine crash can lose the last seconds).
 */
export type SpoolFsyncPolicy = 'batch' | 'interval' | 'never';

/** Durability options of a {@link DiskSpool}. */
export interface DiskSpoolOptions {
  fsync?: SpoolFsyncPolicy;
  /** With `fsync: 'interval'`. */
  fsyncIntervalMillis?: number;
}

/** One spooled record, as read back. `release()` must be called once it no longer needs the disk copy. */
export interface SpooledRecord {
  line: string;
  release: () => void;
}

interface Segment {
  number: number;
  file: string;
  bytes: number;
  /** Bytes of the file already handed out by read(). */
  readOffset: number;
  /** Records handed out by read() and not yet released. */
  outstanding: number;
  /** Open append descriptor, only on the newest segment. */
  fd?: number;
}

/**
 * FIFO of text lines on disk, used when Elasticsearch is down and the memory queue is full.
 * Records are appended synchronously (an accepted span is in the OS page cache before `write()`
 * returns, and ordering is trivially kept), read back in order, and a segment file is deleted
 * only when every record in it has been released, so a crash replays what was not yet indexed
 * (duplicates are harmless: documents are written by id with an external version).
 *
 * The size bound counts bytes on disk, including records read but not yet released.
 */
export class DiskSpool {
  private readonly segments: Segment[] = [];
  private totalBytes = 0;
  private unreadRecords = 0;
  private readonly fsyncPolicy: SpoolFsyncPolicy;
  private dirty = false;
  private fsyncTimer: NodeJS.Timeout | undefined;
  private syncScheduled: NodeJS.Immediate | undefined;
  private syncInFlight = false;
  /** fsync calls that failed (the data is synced again by the next one). */
  fsyncErrors = 0;
  /** fsync calls made (files and directory), for stats and benchmarks. */
  fsyncs = 0;

  /**
   * Opens (creating if needed) the spool directory and indexes existing segments, which are then
   * read back first: spans spooled by a previous run are replayed before anything new.
   */
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    options: DiskSpoolOptions = {},
  ) {
    this.fsyncPolicy = options.fsync ?? 'batch';
    fs.mkdirSync(dir, { recursive: true });
    if (this.fsyncPolicy === 'interval') {
      this.fsyncTimer = setInterval(() => this.syncDirtyTail(), options.fsyncIntervalMillis ?? 1_000);
      this.fsyncTimer.unref();
    }
    const names = fs
      .readdirSync(dir)
      .filter((n) => SEGMENT_NAME.test(n))
      .sort();
    for (const name of names) {
      const file = path.join(dir, name);
      const bytes = fs.statSync(file).size;
      if (bytes === 0) {
        fs.rmSync(file, { force: true });
        continue;
      }
      this.segments.push({ number: Number(name.slice(0, 16)), file, bytes, readOffset: 0, outstanding: 0 });
      this.totalBytes += bytes;
      this.unreadRecords += countLines(file);
    }
  }

  /** Bytes on disk. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Records not yet handed out by {@link read}. */
  get pendingRecords(): number {
    return this.unreadRecords;
  }

  /**
   * Appends lines (no `\n` inside) at the tail. Returns how many were stored: lines that would
   * take the spool past `maxBytes` are not (the caller counts them as dropped). Throws on I/O errors.
   */
  append(lines: readonly string[]): number {
    let accepted = 0;
    let chunk = '';
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line) + 1;
      if (this.totalBytes + chunkBytes + bytes > this.maxBytes) break;
      chunk += `${line}\n`;
      chunkBytes += bytes;
      accepted++;
    }
    if (accepted === 0) return 0;
    const tail = this.writableTail(chunkBytes);
    fs.writeSync(tail.fd as number, chunk);
    this.dirty = true;
    if (this.fsyncPolicy === 'batch') this.scheduleSync();
    tail.bytes += chunkBytes;
    this.totalBytes += chunkBytes;
    this.unreadRecords += accepted;
    return accepted;
  }

  /**
   * Writes lines to a new segment placed before every existing one, so they are read first.
   * Used at shutdown for spans that were already out of the spool (memory queue, retries): they
   * are older than anything on disk. Ignores `maxBytes`: these spans were accepted already.
   */
  prepend(lines: readonly string[]): void {
    if (lines.length === 0) return;
    const number = (this.segments[0]?.number ?? FIRST_SEGMENT_NUMBER) - 1;
    const file = path.join(this.dir, `${String(number).padStart(16, '0')}.spool`);
    const text = `${lines.join('\n')}\n`;
    const fd = fs.openSync(file, 'w');
    try {
      fs.writeSync(fd, text);
      // Written at shutdown: the process is about to exit, so anything but `never` syncs now.
      if (this.fsyncPolicy !== 'never') this.fsync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (this.fsyncPolicy !== 'never') this.syncDir();
    const bytes = Buffer.byteLength(text);
    const segment: Segment = { number, file, bytes, readOffset: 0, outstanding: 0 };
    // A partly read head keeps its place (read offsets are per segment); its unread rest is newer
    // than these lines, but every record carries an external version, so the final document is the same.
    const head = this.segments[0];
    if (head && head.readOffset > 0) this.segments.splice(1, 0, segment);
    else this.segments.unshift(segment);
    this.totalBytes += bytes;
    this.unreadRecords += lines.length;
  }

  /** Reads up to `maxRecords` records in FIFO order. Throws on I/O errors. */
  read(maxRecords: number): SpooledRecord[] {
    const out: SpooledRecord[] = [];
    while (out.length < maxRecords) {
      const segment = this.segments.find((s) => s.readOffset < s.bytes);
      if (!segment) break;
      const remaining = segment.bytes - segment.readOffset;
      let length = Math.min(READ_CHUNK_BYTES, remaining);
      let buffer: Buffer;
      let lastNewline: number;
      for (;;) {
        buffer = readAt(segment.file, segment.readOffset, length);
        lastNewline = buffer.lastIndexOf(10);
        if (lastNewline >= 0 || length === remaining) break;
        // A record longer than the chunk: read more until its newline is in.
        length = Math.min(length * 2, remaining);
      }
      // Only complete lines are consumed. A tail without newline (a crash mid-append) is handed out
      // as one last record: it will not parse and the caller counts it as dropped.
      const text = lastNewline >= 0 ? buffer.toString('utf8', 0, lastNewline) : buffer.toString('utf8');
      let start = 0;
      let consumed = 0;
      while (out.length < maxRecords && start <= text.length) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        const line = text.slice(start, end);
        consumed += Buffer.byteLength(line) + 1;
        start = end + 1;
        segment.outstanding++;
        // A torn tail was not counted as a record at open; never go below zero for it.
        if (this.unreadRecords > 0) this.unreadRecords--;
        out.push({ line, release: this.releaser(segment) });
      }
      segment.readOffset = Math.min(segment.bytes, segment.readOffset + consumed);
    }
    return out;
  }

  /** Closes the tail's descriptor. Unread and unreleased records stay on disk for the next run. */
  private scheduleSync(): void {
    if (this.syncInFlight) return; // the completion of the one in flight schedules the next
    this.syncScheduled ??= setImmediate(() => {
      this.syncScheduled = undefined;
      this.syncInBackground();
    });
  }

  /** `batch` policy: one fsync of the tail (and the directory) on the thread pool, for everything written so far. */
  private syncInBackground(): void {
    const tail = this.segments[this.segments.length - 1];
    if (!this.dirty || tail?.fd === undefined) return;
    this.dirty = false;
    this.syncInFlight = true;
    fs.fsync(tail.fd, (err) => {
      if (!err) {
        this.fsyncs++;
        try {
          this.syncDir();
        } catch {
          // syncDir swallows unsupported platforms itself
        }
      } else {
        // EBADF when the segment was rotated meanwhile (rotation syncs it first); anything else: retry.
        this.fsyncErrors++;
        this.dirty = true;
      }
      this.syncInFlight = false;
      if (this.dirty) this.scheduleSync();
    });
  }

  /** Makes everything appended so far durable now (whatever the policy but `never`). */
  syncNow(): void {
    if (this.syncScheduled) clearImmediate(this.syncScheduled);
    this.syncScheduled = undefined;
    if (this.fsyncPolicy !== 'never') this.syncDirtyTail();
  }

  close(): void {
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    this.fsyncTimer = undefined;
    this.syncNow();
    for (const s of this.segments) {
      if (s.fd !== undefined) {
        fs.closeSync(s.fd);
        s.fd = undefined;
      }
    }
  }

  private releaser(segment: Segment): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      segment.outstanding--;
      this.collect(segment);
    };
  }

  /** Deletes a segment once it is fully read and every record of it released. */
  private collect(segment: Segment): void {
    if (segment.outstanding > 0 || segment.readOffset < segment.bytes) return;
    if (segment.fd !== undefined) {
      fs.closeSync(segment.fd);
      segment.fd = undefined;
    }
    fs.rmSync(segment.file, { force: true });
    this.totalBytes -= segment.bytes;
    const i = this.segments.indexOf(segment);
    if (i >= 0) this.segments.splice(i, 1);
  }

  private fsync(fd: number): void {
    fs.fsyncSync(fd);
    this.fsyncs++;
  }

  private syncDir(): void {
    // Directories can be fsync'd on Linux and macOS; where opening one fails (Windows), skip it.
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.dir, 'r');
      this.fsync(fd);
    } catch {
      // Not supported here: file data is still synced.
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /**
   * fsyncs the tail and the directory (a new segment's entry must be durable too, or its synced data is
   * unreachable after a power cut) when written since the last sync.
   */
  private syncDirtyTail(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const tail = this.segments[this.segments.length - 1];
    try {
      if (tail?.fd !== undefined) this.fsync(tail.fd);
      this.syncDir();
    } catch {
      // The next append or sync tries again; a failing disk also fails the next writeSync, which is reported.
      this.dirty = true;
    }
  }

  private writableTail(incomingBytes: number): Segment {
    let tail = this.segments[this.segments.length - 1];
    if (!tail || tail.fd === undefined || tail.bytes + incomingBytes > SPOOL_SEGMENT_MAX_BYTES) {
      if (tail?.fd !== undefined) {
        // The segment being left may hold unsynced appends of this turn.
        if (this.dirty && this.fsyncPolicy !== 'never') this.fsync(tail.fd);
        fs.closeSync(tail.fd);
        tail.fd = undefined;
      }
      const number = tail ? tail.number + 1 : FIRST_SEGMENT_NUMBER;
      const file = path.join(this.dir, `${String(number).padStart(16, '0')}.spool`);
      tail = { number, file, bytes: 0, readOffset: 0, outstanding: 0, fd: fs.openSync(file, 'a') };
      this.segments.push(tail);
    }
    return tail;
  }
}

function readAt(file: string, offset: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  const fd = fs.openSync(file, 'r');
  try {
    const got = fs.readSync(fd, buffer, 0, length, offset);
    return got === length ? buffer : buffer.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

function countLines(file: string): number {
  const data = fs.readFileSync(file);
  let count = 0;
  let i = data.indexOf(10);
  while (i >= 0) {
    count++;
    i = data.indexOf(10, i + 1);
  }
  return count;
}
