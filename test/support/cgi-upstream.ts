import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/**
 * A CGI-style upstream: Python's wsgiref, which reads every request header `X_Consumer_ID` and `X-Consumer-ID` alike
 * (`HTTP_X_CONSUMER_ID`, copies joined with `,`), like PHP and most WSGI servers. It trusts the identity headers
 * as such an app would: `/admin` answers only when HTTP_X_AUTHENTICATED_GROUPS names `admins`, `/staff/…` answers
 * anyone (the BFF's route rules are its guard), `/whoami` reports the method, path and HTTP_* environment it saw,
 * `/set-cookie` tries to set the BFF's own cookies. Like frameworks behind IIS (Symfony's and Zend's
 * `X-Original-URL`/`X-Rewrite-URL`) and method-override middlewares, it re-routes and re-methods a request on the
 * client's say-so, after the BFF chose the route.
 */
const APP = String.raw`
import json, sys
from wsgiref.simple_server import make_server, WSGIRequestHandler

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

REROUTE = ('HTTP_X_ORIGINAL_URL', 'HTTP_X_REWRITE_URL', 'HTTP_X_OVERRIDE_URL')
REMETHOD = ('HTTP_X_HTTP_METHOD_OVERRIDE', 'HTTP_X_HTTP_METHOD', 'HTTP_X_METHOD_OVERRIDE')

def honour_overrides(inner):
    def wrapped(environ, start_response):
        for name in REROUTE:
            if name in environ:
                environ['PATH_INFO'] = environ[name].split('?')[0]
        for name in REMETHOD:
            if name in environ:
                environ['REQUEST_METHOD'] = environ[name].upper()
        return inner(environ, start_response)
    return wrapped

def app(environ, start_response):
    path = environ.get('PATH_INFO', '')
    http = {k: v for k, v in environ.items() if k.startswith('HTTP_')}
    if path.endswith('/set-cookie'):
        start_response('200 OK', [('Content-Type', 'application/json'),
            ('Set-Cookie', 'bff-session=planted-by-upstream; Path=/; HttpOnly'),
            ('Set-Cookie', 'bff-login-0123=planted; Path=/'),
            ('Set-Cookie', 'upstream-pref=kept; Path=/')])
        return [b'{"cookies": "offered"}']
    if path.endswith('/admin'):
        groups = [g.strip() for g in http.get('HTTP_X_AUTHENTICATED_GROUPS', '').split(',')]
        if 'admins' not in groups:
            start_response('403 Forbidden', [('Content-Type', 'application/json')])
            return [b'{"error": "not an admin"}']
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [b'{"secret": "admin data"}']
    if path.startswith('/staff'):
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [b'{"secret": "staff data"}']
    start_response('200 OK', [('Content-Type', 'application/json')])
    return [json.dumps({'method': environ['REQUEST_METHOD'], 'path': path, 'http': http}).encode()]

server = make_server('127.0.0.1', 0, honour_overrides(app), handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
`;

export interface CgiEcho {
  method: string;
  path: string;
  /** The CGI environment's HTTP_* variables, as the app reads them. */
  http: Record<string, string>;
}

export interface CgiUpstream {
  url: string;
  stop(): Promise<void>;
}

export async function startCgiUpstream(): Promise<CgiUpstream> {
  const child: ChildProcess = spawn('python3', ['-c', APP], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [firstLine] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [undefined])])) as [string | undefined];
  if (!firstLine) throw new Error('the wsgiref upstream did not start (is python3 installed?)');
  return {
    url: `http://127.0.0.1:${Number(firstLine)}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
