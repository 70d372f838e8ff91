export const HTTP_CONFIG = Symbol('HttpConfig');
export const ADMIN_CONFIG = Symbol('AdminConfig');
export const OIDC_CONFIG = Symbol('OidcConfig');
export const REDIS_CONFIG = Symbol('RedisConfig');
export const DATABASE_CONFIG = Symbol('DatabaseConfig');
export const SESSION_CONFIG = Symbol('SessionConfig');
export const CONSUMER_CONFIG = Symbol('ConsumerConfig');
export const PROXY_CONFIG = Symbol('ProxyConfig');
