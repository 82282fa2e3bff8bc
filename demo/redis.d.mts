// The types of redis.mjs, for the TypeScript tests that start a server (src/proxy/stores.test.ts).
export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}
export function startRedis(options?: { port?: number; binary?: string }): Promise<RedisServer>;
/** A port on 127.0.0.1 that nothing listens on now. */
export function freePort(): Promise<number>;
