import type { IncomingMessage } from 'node:http';

/**
 * One process serves two listeners: the browser-facing port and the admin port. The admin listener marks its requests,
 * so that a route only answers on the port it belongs to.
 */
const ADMIN_PLANE = Symbol('adminPlane');

type MarkableRequest = IncomingMessage & { [ADMIN_PLANE]?: true };

export function markAdminRequest(request: IncomingMessage): void {
  (request as MarkableRequest)[ADMIN_PLANE] = true;
}

export function isAdminRequest(request: IncomingMessage): boolean {
  return (request as MarkableRequest)[ADMIN_PLANE] === true;
}
