import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendJsonError } from '../common/raw-json-response';

/** The largest body the BFF's own endpoints read (admin JSON, form_post callbacks, back-channel logout tokens). */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Refuses oversized bodies without reading them. body-parser answers 413 only after reading a refused body to its end
 * (an attacker could stream one for as long as the request timeout allows), so this runs first: a declared length over
 * the limit is refused at once, and a chunked body the parser is reading is counted and cut off as it passes the limit.
 * Either way the answer is 413 JSON and the connection closes. Proxied routes never get here: they stream.
 */
export function bodyLimit(limitBytes = BODY_LIMIT_BYTES): RequestHandler {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (Number(request.headers['content-length'] ?? 0) > limitBytes) return refuse(response, limitBytes);
    next();
    // A parser that took the request has attached its reader by now, synchronously: count along with it.
    if (request.readableFlowing === null || request.complete) return;
    let received = 0;
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= limitBytes) return;
      request.off('data', count);
      refuse(response, limitBytes);
    };
    request.on('data', count);
  };
}

function refuse(response: Response, limitBytes: number): void {
  sendJsonError(response, 413, 'payload_too_large', `The request body is larger than ${limitBytes / 1024} KB.`, { connection: 'close' });
}
