import { poll } from '../../../test/support/helpers.js';

/** Waits until `check()` holds (polled every few milliseconds); throws after `timeoutMillis`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMillis = 10_000): Promise<void> {
  await poll(async () => ((await check()) ? true : undefined), {
    timeoutMillis,
    what: 'the condition',
    intervalMillis: 5,
  });
}
