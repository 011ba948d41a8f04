import { BANNED_PEER, MAX_FAILURES, PASSWORDS, PROXY_PEER, TOKENS } from './golden-config.ts'

/** One request of the golden scenario. */
export interface Step {
  name: string
  /** Which gateway of the side answers it. */
  gateway: 'v2' | 'v1'
  method: string
  /** The raw request target, sent as is. */
  path: string
  headers?: Record<string, string>
  body?: string
  /** The TCP peer address; 127.0.0.1 by default. */
  from?: string
  /** Sends the cookie a previous step kept under this name. */
  cookie?: string
  /** Keeps the session cookie this answer sets under this name. */
  keepCookie?: string
  /** The `msg` of a background line this step causes (one of no request): the run waits for it before the next step. */
  awaitsMsg?: string
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
const get = (name: string, gateway: Step['gateway'], path: string, more: Partial<Step> = {}): Step =>
  ({ name, gateway, method: 'GET', path, ...more })
const post = (name: string, gateway: Step['gateway'], path: string, authorization?: string, more: Partial<Step> = {}): Step =>
  ({ name, gateway, method: 'POST', path, headers: authorization === undefined ? {} : { authorization }, ...more })
const signin = (name: string, gateway: Step['gateway'], authorization?: string, more: Partial<Step> = {}): Step =>
  post(name, gateway, '/api/v2/signin', authorization, more)
const signout = (name: string, gateway: Step['gateway'], more: Partial<Step>): Step =>
  post(name, gateway, '/api/v2/signout', undefined, more)
/** A request the auth proxy sends for `user` in `groups`. */
const proxied = (user: string, groups: string): Partial<Step> =>
  ({ from: PROXY_PEER, headers: { 'remote-user': user, 'remote-groups': groups } })
const CROSS_SITE = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' }
const wrong = basic('eve', 'not the password')
const QUERY = '/query?q=SHOW%20DATABASES'

/**
 * The fixed scenario: every outcome of the access decision, in an order where each step's state is the
 * previous steps' (cookies kept, sessions ended, a ban earned). Changing it changes the transcript:
 * re-record it (`npm run golden -- --write`) in the same commit.
 */
export const SCENARIO: Step[] = [
  get('gateway health', 'v2', '/gateway/health'),
  signin('sign-in without Basic', 'v2'),
  signin('sign-in, wrong password', 'v2', basic('alice', 'wrong password')),
  signin('sign-in, unknown user', 'v2', basic('zed', 'any password')),
  signin('sign-in of a disabled user', 'v2', basic('dora', PASSWORDS.dora)),
  get('sign-in, method not allowed', 'v2', '/api/v2/signin'),
  signin('sign-in, cross-site', 'v2', undefined, { headers: { authorization: basic('alice', PASSWORDS.alice), ...CROSS_SITE } }),
  signin('sign-in, success', 'v2', basic('alice', PASSWORDS.alice), { keepCookie: 'alice' }),
  get('forwarded with the cookie', 'v2', '/api/v2/buckets', { cookie: 'alice' }),
  get('session of the cookie', 'v2', '/gateway/session', { cookie: 'alice' }),
  get('cross-site request with the cookie', 'v2', '/api/v2/buckets', { cookie: 'alice', headers: CROSS_SITE }),
  get('bad request target', 'v2', '/api/v2/%ff', { cookie: 'alice' }),
  get('forwarded with its own token', 'v2', '/api/v2/me', { headers: { authorization: `Token ${TOKENS.alice}` } }),
  get('no credentials on a guarded route', 'v2', '/api/v2/buckets'),
  get('no credentials on /query (InfluxDB 2 dialect)', 'v2', QUERY),
  get('public route', 'v2', '/health'),
  post('body without a session', 'v2', '/api/v2/write?org=my-org&bucket=test-bucket', undefined, { body: 'm,t=1 v=1\n' }),
  signout('sign-out', 'v2', { cookie: 'alice' }),
  get('the signed-out cookie', 'v2', '/api/v2/buckets', { cookie: 'alice' }),
  get('session of the signed-out cookie', 'v2', '/gateway/session', { cookie: 'alice' }),
  signin('sign-in, minted token', 'v2', basic('mia', PASSWORDS.mia), { keepCookie: 'mia' }),
  get('forwarded with the minted token', 'v2', '/api/v2/buckets', { cookie: 'mia' }),
  signout('sign-out, minted token revoked', 'v2', { cookie: 'mia', awaitsMsg: 'minted token revoked' }),
  get('auth proxy identity, forwarded', 'v2', '/api/v2/buckets', proxied('pat', 'readers')),
  get('auth proxy identity, session', 'v2', '/gateway/session', proxied('pat', 'readers')),
  signin('auth proxy identity, sign-in', 'v2', undefined, proxied('pat', 'readers')),
  signout('auth proxy identity, sign-out', 'v2', proxied('pat', 'readers')),
  signin('auth proxy identity without access, sign-in', 'v2', undefined, proxied('pat', 'nobody')),
  get('auth proxy identity without access', 'v2', '/api/v2/buckets', proxied('pat', 'nobody')),
  get('auth proxy identity, minted', 'v2', '/api/v2/buckets', proxied('max', 'minters')),
  get('auth proxy headers from an untrusted peer', 'v2', '/api/v2/buckets', { ...proxied('pat', 'readers'), from: '127.0.0.1' }),
  // The throttle's fifth failure from one address bans it (127.0.0.1 has had four failures: no ban there).
  ...[1, 2, 3, 4, 5].map((i) =>
    signin(`sign-in failure ${i} of ${MAX_FAILURES}${i === MAX_FAILURES ? ': banned' : ''}`, 'v2', wrong, { from: BANNED_PEER })),
  signin('sign-in while banned', 'v2', wrong, { from: BANNED_PEER }),
  get('1.x: no credentials on /query', 'v1', QUERY),
  post('1.x: no credentials on /write', 'v1', '/write?db=telegraf', undefined, { body: 'm v=1\n' }),
  signin('1.x: sign-in', 'v1', basic('bob', PASSWORDS.bob), { keepCookie: 'bob' }),
  get('1.x: forwarded with the cookie', 'v1', QUERY, { cookie: 'bob' }),
  signout('1.x: sign-out', 'v1', { cookie: 'bob' }),
  get('1.x: the signed-out cookie on /query', 'v1', QUERY, { cookie: 'bob' })
]
