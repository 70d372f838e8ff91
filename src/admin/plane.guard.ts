import { Injectable, NotFoundException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { isAdminRequest } from '../common/plane';
import { ADMIN_PLANE_KEY } from './admin-plane.decorator';

/** Admin routes exist only on the admin listener and browser routes only on the browser listener: elsewhere, 404. */
@Injectable()
export class PlaneGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const adminRoute = this.reflector.getAllAndOverride<boolean>(ADMIN_PLANE_KEY, [context.getHandler(), context.getClass()]) === true;
    if (adminRoute !== isAdminRequest(context.switchToHttp().getRequest<Request>())) throw new NotFoundException('Not found.');
    return true;
  }
}
