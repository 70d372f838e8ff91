import { EventEmitter } from 'node:events';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import { markAdminRequest } from '../common/plane';
import type { AppConfig } from '../config/app-config';
import { ADMIN_PLANE_RETRY_MS, lazyAdminPlane } from './admin-plane';

/** A response that records what sendError writes. */
function recordedResponse(): Response & { sent: Promise<{ status: number; headers: Record<string, string>; body: unknown }> } {
  const events = new EventEmitter();
  const state = { status: 0, headers: {} as Record<string, string> };
  const response = {
    headersSent: false,
    req: { headers: {} },
    status(code: number) {
      state.status = code;
      return response;
    },
    set(headers: Record<string, string>) {
      Object.assign(state.headers, headers);
      return response;
    },
    setHeader(name: string, value: string) {
      state.headers[name] = value;
    },
    json(body: unknown) {
      events.emit('sent', { ...state, body });
      return response;
    },
    sent: new Promise((resolve) => events.once('sent', resolve)),
  };
  return response as unknown as ReturnType<typeof recordedResponse>;
}

function adminRequest(path: string): Request {
  const request = { path, headers: {} } as unknown as Request;
  markAdminRequest(request);
  return request;
}

describe('lazyAdminPlane after a failed build', () => {
  const config = {} as AppConfig;

  it('answers 503 with Retry-After instead of building again for a few seconds, then tries again', async () => {
    let clock = 1_000_000;
    const create = jest.fn(() => Promise.reject(new Error('module failed to load')));
    const handler = lazyAdminPlane({} as NestExpressApplication, config, create, () => clock);

    const first = recordedResponse();
    handler(adminRequest('/consumers'), first, () => undefined);
    expect((await first.sent).status).toBe(500);

    for (const path of ['/consumers', '/openapi.json', '/docs']) {
      const refused = recordedResponse();
      handler(adminRequest(path), refused, () => undefined);
      await expect(refused.sent).resolves.toMatchObject({ status: 503, headers: { 'retry-after': '5' }, body: { error: 'admin_plane_unavailable' } });
    }
    expect(create).toHaveBeenCalledTimes(1);

    clock += ADMIN_PLANE_RETRY_MS;
    const retried = recordedResponse();
    handler(adminRequest('/consumers'), retried, () => undefined);
    expect((await retried.sent).status).toBe(500);
    expect(create).toHaveBeenCalledTimes(2);
  });
});
