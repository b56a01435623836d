import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config';
import type { Database } from '../db';
import type { Clock } from './clock';
import type { Locale } from './i18n';

/** Who is calling: an account signed in by session, or a shop's API key. */
export interface Auth {
  accountId: string;
  isOperator: boolean;
  via: 'session' | 'api_key';
  /** Set when the caller is a merchant API key: it acts for one shop with one staff role. */
  apiKey?: { id: string; shopId: string; role: string };
  sessionId?: string;
}

export interface Jishi {
  config: Config;
  database: Database;
  clock: Clock;
}

declare module 'fastify' {
  interface FastifyInstance {
    jishi: Jishi;
  }
  interface FastifyRequest {
    auth: Auth | null;
    locale: Locale;
  }
}

export type App = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
