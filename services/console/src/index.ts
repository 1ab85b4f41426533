export { createServer, type ConsoleRuntime } from './server';
export { consoleConfig, UPSTREAMS, type ConsoleConfig, type Upstream } from './config';
export { DEMO_USERS, seedDemoUsers, upsertUser, verifyUser, MIN_PASSWORD_LENGTH } from './auth/users';
export { toPublicEvent, type PublicEvent } from './live/public-event';
export { LiveFeed, LIVE_TOPICS } from './live/live-feed';
export { METRICS_ROLES } from './gateway/proxy';
