import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError } from '../common/app.error';
import { AUTH_PATHS } from '../common/public-surface';
import type { HttpConfig } from '../config/app-config';
import { HTTP_CONFIG } from '../config/config.tokens';
import { SessionGate, type EntryOptions } from '../session/session-gate';
import { DBSC_HEADERS, sessionIdOf } from './dbsc-headers';
import { DeviceProofError } from './device-binding.errors';
import { DeviceBindingService, type BindingAnswer } from './device-binding.service';
import type { SessionInstructions } from './session-instructions';

/**
 * The browser's own DBSC requests: they carry the session cookie but neither the CSRF header nor the bound cookie
 * (renewing that is the point). The device proof is their anti-forgery, checked by DeviceBindingService.
 */
const ENTRY: EntryOptions = { antiForgery: 'device-proof', refresh: false, deviceBinding: 'skip' };

@Controller()
export class DeviceBindingController {
  private readonly publicOrigin: string;

  constructor(
    private readonly gate: SessionGate,
    private readonly binding: DeviceBindingService,
    @Inject(HTTP_CONFIG) http: HttpConfig,
  ) {
    this.publicOrigin = http.publicUrl;
  }

  @Post(AUTH_PATHS.deviceRegistration)
  @HttpCode(200)
  async register(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<SessionInstructions> {
    this.assertFromApp(request);
    const open = await this.gate.enter(request, ENTRY);
    return send(response, await this.binding.register(open, request.headers[DBSC_HEADERS.response]));
  }

  @Post(AUTH_PATHS.deviceRefresh)
  @HttpCode(200)
  async refresh(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<SessionInstructions> {
    this.assertFromApp(request);
    // A `Sec-` header no page script can set: the request comes from the browser's DBSC machinery itself.
    if (sessionIdOf(request.headers[DBSC_HEADERS.sessionId]) === undefined) throw new DeviceProofError(400, 'invalid_device_session_id');
    const open = await this.gate.enter(request, ENTRY);
    return send(response, await this.binding.refresh(open, request.headers[DBSC_HEADERS.sessionId], request.headers[DBSC_HEADERS.response]));
  }

  /** Off: as if the endpoints did not exist. On: the browser sends its own origin with these POSTs, never another. */
  private assertFromApp(request: Request): void {
    if (!this.binding.enabled) throw new DeviceProofError(404, 'device_binding_off');
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== this.publicOrigin) {
      throw new AppError(403, 'origin_mismatch', 'Device binding requests must come from the app\'s own origin.');
    }
  }
}

function send(response: Response, answer: BindingAnswer): SessionInstructions {
  response.setHeader('set-cookie', answer.setCookie);
  response.setHeader(DBSC_HEADERS.challenge, answer.challenge);
  return answer.instructions;
}
