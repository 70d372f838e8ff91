import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import { AppError, ServiceUnavailableError } from '../common/app.error';
import { MetricsService } from '../metrics/metrics.service';
import { isDatabaseUnavailable } from './database-errors';

/**
 * For controllers whose work is Postgres queries (the consumers admin API): an unreachable database is a 503
 * `postgres_unavailable`, counted, rather than a 500. Errors the app already classified pass through unchanged.
 */
@Injectable()
export class DatabaseUnavailableInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError((error: unknown) => throwError(() => this.translate(error))));
  }

  private translate(error: unknown): unknown {
    if (error instanceof AppError || !isDatabaseUnavailable(error)) return error;
    this.metrics.dependencyErrors.inc({ dependency: 'postgres' });
    return new ServiceUnavailableError('postgres', error);
  }
}
