// The journal of what a run spent on model calls, so caps and totals hold across a kill and a resume.
// Reserve, then journal, then send: a call's worst case is appended before it is sent and its real usage
// after it returns, so a call killed in flight (sent or not) still counts, at its worst case: the
// journal never under-counts. A call whose request never left (no connection was made) is released
// instead of settled, and is no call. It records tokens per role; prices are applied by whoever reads it.
import { z } from 'zod';
import { JsonLinesFile } from './json-lines.js';
import type { TokenUsage } from './evaluated-model.js';

const tokens = z.number().int().nonnegative();
const id = z.number().int().positive();
const entrySchema = z.union([
  z.strictObject({ reserve: id, role: z.string().min(1), inputTokens: tokens, outputTokens: tokens }),
  z.strictObject({ settle: id, inputTokens: tokens, outputTokens: tokens }),
  z.strictObject({ release: id }),
]);
type Entry = z.infer<typeof entrySchema>;
type Reservation = Extract<Entry, { reserve: number }>;

/** Calls and their tokens. */
export interface CallTally {
  calls: number;
  inputTokens: number;
  outputTokens: number;
}

/** No calls. */
export const emptyTally = (): CallTally => ({ calls: 0, inputTokens: 0, outputTokens: 0 });

/** The sum of tallies. */
export function sumTallies(...tallies: CallTally[]): CallTally {
  return tallies.reduce(
    (sum, tally) => ({
      calls: sum.calls + tally.calls,
      inputTokens: sum.inputTokens + tally.inputTokens,
      outputTokens: sum.outputTokens + tally.outputTokens,
    }),
    emptyTally(),
  );
}

function add(tally: CallTally, usage: TokenUsage): void {
  tally.calls++;
  tally.inputTokens += usage.inputTokens;
  tally.outputTokens += usage.outputTokens;
}

/** The spend of one run (of every process that worked on it), in an append-only file. */
export class SpendJournal {
  private readonly file: JsonLinesFile<Entry>;
  private readonly settledByRole = new Map<string, CallTally>();
  private readonly unsettledByRole = new Map<string, CallTally>();
  private nextId = 1;
  /** Removed (the run is complete): calls still in flight then record nothing, nor bring the file back. */
  private removed = false;

  constructor(path: string) {
    this.file = new JsonLinesFile(path, entrySchema, {
      what: 'spend journal',
      code: 'SPEND_JOURNAL_CORRUPT',
      hint: `Delete ${path} to start the run over; the calls it recorded then no longer count against its budget.`,
    });
    const open = new Map<number, Reservation>();
    const settled = new Set<number>();
    for (const entry of this.file.lines) {
      if ('reserve' in entry) {
        if (open.has(entry.reserve) || settled.has(entry.reserve))
          throw this.file.corrupt(`call ${entry.reserve} is reserved twice`);
        open.set(entry.reserve, entry);
        this.nextId = Math.max(this.nextId, entry.reserve + 1);
      } else {
        const called = 'settle' in entry ? entry.settle : entry.release;
        const reservation = open.get(called);
        if (!reservation)
          throw this.file.corrupt(
            `call ${called} is ${'settle' in entry ? 'settled' : 'released'} but was never reserved`,
          );
        open.delete(called);
        settled.add(called);
        if ('settle' in entry) add(this.tally(this.settledByRole, reservation.role), entry);
      }
    }
    for (const reservation of open.values())
      add(this.tally(this.unsettledByRole, reservation.role), reservation);
  }

  get path(): string {
    return this.file.path;
  }

  /** Calls of earlier runs that returned, at their real usage (their answers may be cached). */
  settled(role: string): CallTally {
    return { ...(this.settledByRole.get(role) ?? emptyTally()) };
  }

  /** Calls of earlier runs killed in flight (maybe sent, never recorded), at their worst case. */
  unsettled(role: string): CallTally {
    return { ...(this.unsettledByRole.get(role) ?? emptyTally()) };
  }

  /** Records a call's worst case before it is sent; returns its id for `settle`. */
  reserve(role: string, worst: TokenUsage): number {
    const reserve = this.nextId++;
    if (!this.removed)
      this.file.append({ reserve, role, inputTokens: worst.inputTokens, outputTokens: worst.outputTokens });
    return reserve;
  }

  /** Records what a reserved call really used. */
  settle(id: number, used: TokenUsage): void {
    // a call that was in flight when the run completed (a budget stopped it mid-batch) is the complete
    // run's: a line of it in a new file would be a settle without its reserve, refused by the next run
    if (this.removed) return;
    this.file.append({ settle: id, inputTokens: used.inputTokens, outputTokens: used.outputTokens });
  }

  /** Records that a reserved call's request never left: it is no call. */
  release(id: number): void {
    if (this.removed) return;
    this.file.append({ release: id });
  }

  /** Deletes the journal (the run is complete); later reserves and settles record nothing. */
  remove(): void {
    this.removed = true;
    this.file.remove();
  }

  private tally(byRole: Map<string, CallTally>, role: string): CallTally {
    if (!byRole.has(role)) byRole.set(role, emptyTally());
    return byRole.get(role)!;
  }
}
