import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { Role, TokenScope } from '../../../shared/auth';
import { ErrorCodes } from '../../../shared/errors';
import type { Clock } from '../../platform/clock';
import { UnauthenticatedError } from '../../platform/errors';
import type { Actor } from '../../platform/http/actor';

export interface JwtOptions {
  key: Buffer;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const Claims = z.object({
  sub: z.uuid(),
  tid: z.uuid(),
  roles: z.array(Role).min(1),
  scope: TokenScope,
  /** The member's token generation when signed (absent on tokens from before revocation existed: 0). */
  gen: z.number().int().min(0).default(0),
  // jsonwebtoken checks exp only when present: a token without one would never expire.
  exp: z.number().int(),
});

/** HS256 only: the algorithm is pinned on verify, so `alg: none` or RS/HS confusion is refused. */
export class JwtService {
  constructor(
    private readonly options: JwtOptions,
    private readonly clock: Clock,
  ) {}

  /** `generation` is the member's current token generation (members.token_generation). */
  sign(
    actor: Actor,
    ttlSeconds = this.options.ttlSeconds,
    generation = 0,
  ): { token: string; expiresAt: Date } {
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    const exp = nowSeconds + ttlSeconds;
    const token = jwt.sign(
      { tid: actor.tenantId, roles: actor.roles, scope: actor.scope, gen: generation, iat: nowSeconds, exp },
      this.options.key,
      {
        algorithm: 'HS256',
        issuer: this.options.issuer,
        audience: this.options.audience,
        subject: actor.memberId,
      },
    );
    return { token, expiresAt: new Date(exp * 1000) };
  }

  verify(token: string): Actor {
    return this.verifyWithGeneration(token).actor;
  }

  /** Verifies the signature and claims; the caller checks the generation against the member row. */
  verifyWithGeneration(token: string): { actor: Actor; generation: number } {
    let payload: unknown;
    try {
      payload = jwt.verify(token, this.options.key, {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTimestamp: Math.floor(this.clock.now().getTime() / 1000),
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) {
        throw new UnauthenticatedError('Your session has expired, sign in again', ErrorCodes.tokenExpired);
      }
      throw new UnauthenticatedError('The access token is not valid');
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw new UnauthenticatedError('The access token is not valid');
    return {
      actor: {
        tenantId: claims.data.tid,
        memberId: claims.data.sub,
        roles: claims.data.roles,
        scope: claims.data.scope,
      },
      generation: claims.data.gen,
    };
  }
}
