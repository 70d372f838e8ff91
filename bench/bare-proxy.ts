import { startPlainProxy } from './plain-proxy';

/**
 * The baseline: a plain Node reverse proxy that passes requests through and adds nothing (bench/plain-proxy.ts).
 * Run as its own process: `node bare-proxy.js <port> <upstream origin>`.
 */
startPlainProxy({ port: Number(process.argv[2] ?? 0), upstream: process.argv[3] ?? 'http://127.0.0.1:9' });
