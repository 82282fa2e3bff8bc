#!/usr/bin/env node
import { ENV, settingsFromEnv, startProxyServer } from './proxy-server.mjs';
import 'node:http';
import './proxy.mjs';
import 'node:events';
import 'node:https';

/**
 * `npx p13n-proxy`: the proxy server from environment variables (server.ts's ENV), stopped gracefully by SIGTERM
 * (what Kubernetes, systemd and `docker stop` send) or SIGINT. Prints its address on its first line of stdout.
 */
async function main() {
    if (process.argv.includes('--help') || process.argv.includes('-h')) {
        console.log('p13n-proxy: the first-party proxy of p13n-tag, configured by environment variables:\n');
        for (const [name, meaning] of Object.entries(ENV))
            console.log(`  ${name.padEnd(22)} ${meaning}`);
        console.log('\nGET /healthz for load balancers, GET /metrics for Prometheus; SIGTERM stops it gracefully.');
        return;
    }
    const settings = settingsFromEnv();
    const server = await startProxyServer(settings);
    const store = settings.redisUrl ? `deduplicating through ${settings.redisUrl.replace(/\/\/[^@/]*@/, '//***@')}` : 'deduplicating in memory (one instance: set REDIS_URL for more)';
    console.log(`p13n proxy: listening on ${server.url} (${store})`);
    const stop = (signal) => {
        console.warn(`p13n proxy: ${signal}: finishing the requests in flight, then stopping`);
        void server.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
}
main().catch((error) => {
    console.error(error.message);
    process.exit(1);
});
