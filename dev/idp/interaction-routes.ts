import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import { ACR_PASSWORD, ACR_SECOND_FACTOR, needsSecondFactor, ONE_TIME_CODE } from './authentication-levels';
import { errorPage, loginPage } from './html-pages';
import type { UserDirectory } from './idp-users';

const INTERACTION_PATH = /^\/interaction\/([\w-]+)(\/login)?$/;
const MAX_FORM_BYTES = 16 * 1024;

export function isInteractionPath(pathname: string): boolean {
  return INTERACTION_PATH.test(pathname);
}

/** Our own login screen (devInteractions is off): GET shows the form, POST .../login checks the credentials. */
export async function handleInteraction(
  provider: Provider,
  users: UserDirectory,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const [, uid, login] = INTERACTION_PATH.exec(new URL(req.url ?? '/', 'http://idp').pathname) ?? [];
  const interaction = await provider.interactionDetails(req, res).catch(() => undefined);
  if (!interaction || interaction.uid !== uid) {
    sendHtml(res, 400, errorPage('invalid_request', 'This sign-in attempt has expired or is unknown. Start again.'));
    return;
  }
  const clientId = typeof interaction.params.client_id === 'string' ? interaction.params.client_id : 'unknown';
  const secondFactor = needsSecondFactor(interaction.params.acr_values);

  // Consent is granted by loadExistingGrant; this only answers an explicit prompt=consent.
  if (interaction.prompt.name === 'consent') {
    await provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET' && !login) {
    sendHtml(res, 200, loginPage({ uid: interaction.uid, clientId, secondFactor }));
    return;
  }
  if (req.method !== 'POST' || !login) {
    sendHtml(res, 405, errorPage('method_not_allowed'));
    return;
  }

  const form = new URLSearchParams(await readBody(req));
  const username = form.get('username') ?? '';
  const accountId = users.authenticate(username, form.get('password') ?? '');
  const codeEntered = form.get('otp') === ONE_TIME_CODE;
  if (!accountId || (secondFactor && !codeEntered)) {
    sendHtml(res, 200, loginPage({ uid: interaction.uid, clientId, username, secondFactor, failed: true }));
    return;
  }
  const result = codeEntered ? { accountId, acr: ACR_SECOND_FACTOR, amr: ['pwd', 'otp'] } : { accountId, acr: ACR_PASSWORD, amr: ['pwd'] };
  await provider.interactionFinished(req, res, { login: result }, { mergeWithLastSubmission: false });
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_FORM_BYTES) throw new Error('login form too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
