import type { Page } from 'playwright-core';

/** The example SPA's copy of the compiled client package, as the BFF serves it. */
export const CLIENT_MODULE = '/vendor/bff-client/bff-client.js';

/**
 * Loads the client package into the page as `window.bffTest`: `bff`, a client whose navigations are recorded in
 * `navigations` instead of followed, and `real`, one with the default `location.assign`. `log` collects what
 * WebSocket callbacks report. Tests drive it with short expressions, since this tsconfig has no DOM types.
 */
export async function installClient(page: Page): Promise<void> {
  await page.evaluate(`(async () => {
    const { createBffClient } = await import('${CLIENT_MODULE}');
    const navigations = [];
    window.bffTest = {
      navigations,
      log: [],
      bff: createBffClient({ navigate: (url) => navigations.push(url) }),
      real: createBffClient(),
    };
  })()`);
}

export function navigations(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('bffTest.navigations');
}

/** Evaluates a promise-valued expression; `'pending'` when it has not settled after `ms`, as while a page is left. */
export function settleWithin(page: Page, expression: string, ms = 500): Promise<unknown> {
  return page.evaluate(`Promise.race([(${expression}), new Promise((resolve) => setTimeout(() => resolve('pending'), ${ms}))])`);
}

/** Opens a socket through the client whose callbacks write to `bffTest.log` (`open`, `message:<data>`, `close:<code>:<reason>`, `ended:<reason>`). */
export async function openLoggedSocket(page: Page, path: string, extra = ''): Promise<void> {
  await page.evaluate(`(() => {
    const { log } = bffTest;
    bffTest.socket = bffTest.bff.websocket('${path}', {
      initialDelayMs: 50,
      onOpen: () => log.push('open'),
      onMessage: (event) => log.push('message:' + event.data),
      onClose: (event) => log.push('close:' + event.code + ':' + event.reason),
      ${extra}
    });
  })()`);
}

export function socketLog(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('bffTest.log');
}

/** Waits until `bffTest.log` holds `entry` `times` times. */
export function waitForLogEntry(page: Page, entry: string, times = 1): Promise<void> {
  return waitForExpression(page, `bffTest.log.filter((item) => item === ${JSON.stringify(entry)}).length >= ${times}`);
}

/**
 * Polls a page expression until it is truthy. Not `page.waitForFunction`: a string predicate there runs through the
 * page's `eval`, which the BFF's Content-Security-Policy (rightly) forbids. A navigation mid-poll is retried.
 */
export async function waitForExpression(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(expression).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`still false after ${timeoutMs} ms: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
