/** Exponential backoff with full jitter, so that clients dropped together do not all come back in the same instant. */
export function backoffDelay(attempt, options = {}) {
    const initial = options.initialDelayMs ?? 500;
    const ceiling = Math.min(options.maxDelayMs ?? 30_000, initial * 2 ** attempt);
    return initial / 2 + Math.random() * (ceiling - initial / 2);
}
