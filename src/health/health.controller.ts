import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AdminApi, AdminPlane } from '../admin/admin-plane.decorator';
import { MetricsService } from '../metrics/metrics.service';
import { ReadinessService } from './readiness.service';

/** Served by the request process's app; described in OpenAPI by the admin plane (admin/health.docs.ts). */
@Controller()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessService,
    private readonly metrics: MetricsService,
  ) {}

  @Get('healthz')
  @AdminPlane()
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @AdminApi()
  async readyz(@Res() response: Response): Promise<void> {
    const report = await this.readiness.report();
    if (report.ready) {
      response.status(200).json({ status: 'ready', checks: report.checks, ...report.informational });
      return;
    }
    const failing = Object.entries(report.checks).filter(([, status]) => status !== 'up');
    const down = failing.filter(([, status]) => status === 'down').map(([name]) => name);
    const otherwise = failing.filter(([, status]) => status !== 'down').map(([name, status]) => `${name}: ${status}`);
    const sentences = [
      ...(down.length > 0 ? [`${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} unreachable`] : []),
      ...(otherwise.length > 0 ? [`configuration error (${otherwise.join(', ')})`] : []),
    ];
    response.status(503).json({
      error: 'not_ready',
      message: `Not ready: ${sentences.join('; ')}.`,
      details: failing.map(([dependency, status]) => ({ dependency, status })),
      checks: report.checks,
      ...report.informational,
    });
  }

  @Get('metrics')
  @AdminApi()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async prometheus(): Promise<string> {
    return this.metrics.exposition();
  }
}
