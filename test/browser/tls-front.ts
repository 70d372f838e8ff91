import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';

export interface Certificate {
  key: Buffer;
  cert: Buffer;
  /** base64 SHA-256 of the SubjectPublicKeyInfo: what `--ignore-certificate-errors-spki-list` trusts. */
  spkiPin: string;
}

/** A day-long self-signed certificate for 127.0.0.1 (the openssl CLI); `undefined` when there is no openssl. */
export function selfSignedCertificate(): Certificate | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'bff-tls-'));
  try {
    const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    const cert = readFileSync(certFile);
    const spki = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
    return { key: readFileSync(keyFile), cert, spkiPin: createHash('sha256').update(spki).digest('base64') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** TLS ends here and the bytes go on to `targetPort`, as a load balancer in front of the BFF would do it. */
export async function startTlsFront(port: number, targetPort: number, certificate: Certificate): Promise<{ stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ key: certificate.key, cert: certificate.cert }, (client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
