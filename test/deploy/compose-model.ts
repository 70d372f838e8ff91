import { z } from 'zod';

/**
 * The parts of a Compose file the deployment specs check, parsed after the JSON schema said the file is valid
 * Compose: zod turns the untyped YAML into types, and rejects the short forms this project chose not to use.
 */
const environment = z.record(z.string(), z.string());
const port = z.string().regex(/^(?:[\d.]+:)?\d+:\d+$/, 'ports are written "[host-ip:]host:container"');

const service = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string(), target: z.string() }).optional(),
  command: z.array(z.string()).optional(),
  profiles: z.array(z.string()).optional(),
  environment: environment.optional(),
  env_file: z.array(z.object({ path: z.string(), required: z.boolean() })).optional(),
  ports: z.array(port).optional(),
  volumes: z.array(z.string()).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string(), required: z.boolean().optional() })).optional(),
  networks: z.record(z.string(), z.object({ aliases: z.array(z.string()) })).optional(),
});

export const composeModel = z.object({
  name: z.string(),
  services: z.record(z.string(), service),
  volumes: z.record(z.string(), z.null()).optional(),
});

export type ComposeModel = z.infer<typeof composeModel>;
export type ComposeService = z.infer<typeof service>;

export interface PublishedPort {
  hostIp: string | undefined;
  host: number;
  container: number;
}

export function publishedPorts(service: ComposeService): PublishedPort[] {
  return (service.ports ?? []).map((entry) => {
    const parts = entry.split(':');
    const container = Number(parts.pop());
    const host = Number(parts.pop());
    return { hostIp: parts[0], host, container };
  });
}
