import { AppError } from '../common/app.error';

/**
 * A bound session used without a valid bound cookie. A DBSC browser refreshes the cookie before it sends a request that
 * needs one, so this is what a session cookie copied to another device meets. The session itself stays.
 */
export class DeviceBindingRequiredError extends AppError {
  constructor(loginUrl: string, clearBoundCookie: string) {
    super(401, 'device_binding_required', 'This session is bound to another device; sign in again on this one.', {
      body: { login_url: loginUrl },
      headers: { 'set-cookie': clearBoundCookie },
    });
  }
}

/**
 * A registration or refresh the BFF refuses. At the refresh endpoint a `403` carries a new challenge
 * (`Secure-Session-Challenge`), which a DBSC browser signs and retries with; any other 4xx makes it end its DBSC session.
 */
export class DeviceProofError extends AppError {
  constructor(
    status: 400 | 401 | 403 | 404 | 409,
    code: DeviceProofRefusal,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(status, code, MESSAGES[code], { headers });
  }
}

export type DeviceProofRefusal =
  | 'device_proof_required'
  | 'invalid_device_proof'
  | 'invalid_device_session_id'
  | 'device_binding_unknown'
  | 'device_binding_exists'
  | 'device_binding_off';

const MESSAGES: Record<DeviceProofRefusal, string> = {
  device_proof_required: 'Sign the challenge with the device key (Secure-Session-Response).',
  invalid_device_proof: 'The device proof does not verify, or its challenge is unknown, used or expired.',
  invalid_device_session_id: 'Name the device-bound session in Sec-Secure-Session-Id.',
  device_binding_unknown: 'This session is not bound to that device session.',
  device_binding_exists: 'This session is already bound to a device key.',
  device_binding_off: 'Device-bound sessions are not enabled here.',
};
