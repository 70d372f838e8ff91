import { HttpException } from '@nestjs/common';
import { AppError } from './app.error';

export interface ErrorResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: { error: string; message: string; details?: readonly unknown[] } & Record<string, unknown>;
}

const codeByStatus: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  431: 'request_header_fields_too_large',
  503: 'service_unavailable',
};

/** Maps anything thrown to the one error shape of the contract; `undefined` means "unexpected, log it, say 500". */
export function toErrorResponse(error: unknown): ErrorResponse | undefined {
  if (error instanceof AppError) {
    const { details, headers = {}, body = {} } = error.options;
    return {
      status: error.status,
      headers,
      body: { ...body, error: error.code, message: error.message, ...(details ? { details } : {}) },
    };
  }
  if (error instanceof HttpException) return fromHttpException(error);
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 400 && status < 500) {
    // body-parser and friends: the message is theirs and safe (e.g. "request entity too large").
    return { status, headers: {}, body: { error: codeByStatus[status] ?? 'bad_request', message: messageOf(error, status) } };
  }
  return undefined;
}

function fromHttpException(error: HttpException): ErrorResponse {
  const status = error.getStatus();
  const response = error.getResponse();
  const code = codeByStatus[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
  if (typeof response === 'object' && response !== null && 'message' in response && Array.isArray(response.message)) {
    return {
      status,
      headers: {},
      body: { error: 'validation_failed', message: 'The request is invalid.', details: response.message.map(String) },
    };
  }
  return { status, headers: {}, body: { error: code, message: status >= 500 ? 'Internal server error.' : error.message } };
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = 'status' in error ? error.status : 'statusCode' in error ? error.statusCode : undefined;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(error: unknown, status: number): string {
  if (status === 400 && error instanceof SyntaxError) return 'The request body is not valid JSON.';
  return error instanceof Error && error.message ? capitalise(error.message) : 'The request is invalid.';
}

function capitalise(text: string): string {
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return sentence.endsWith('.') ? sentence : `${sentence}.`;
}
