// Starts `skybridge up` on the seed world plus the apps these tests sign in as, then runs
// `node --test tests/` against it with the dev CA trusted through NODE_EXTRA_CA_CERTS — the only
// settings a user changes besides the authority and endpoints.
// Binary: $SKYBRIDGE_BIN, else target/debug/skybridge, else $CARGO_TARGET_DIR/debug/skybridge.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const seed = join(repo, 'examples', 'seed');

function binary() {
  const candidates = [
    process.env.SKYBRIDGE_BIN,
    join(repo, 'target', 'debug', 'skybridge'),
    process.env.CARGO_TARGET_DIR && join(process.env.CARGO_TARGET_DIR, 'debug', 'skybridge'),
  ].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`no skybridge binary (tried ${candidates.join(', ')}); run cargo build -p skybridge`);
  return found;
}

// Appended to the seed: `[[vault.role_assignment]]` extends the last `[[vault]]`, home-kv.
export const JS_SECRET = 'js-client-secret-0123456789';
const EXTRA = `
# --- tests/compat-js ---
[[application]]
tenant = "partner"
name = "js-client"
access_token_version = 2

  [[application.secret]]
  name = "js"
  value = "${JS_SECRET}"

[[app_role_assignment]]
tenant = "partner"
principal = "js-client"
resource = "orders-api"
role = "Orders.Read"

[[application]]
tenant = "home"
name = "js-kv-admin"

  [[application.secret]]
  name = "js"
  value = "${JS_SECRET}"

[[vault.role_assignment]]
principal = "home/js-kv-admin"
role = "Key Vault Administrator"

# An exportable PEM certificate in home-kv that partner/js-cert-client trusts: the msal-node test
# reads its private key through the secrets API and signs its own client assertions.
[[vault.certificate]]
name = "js-msal"
subject = "CN=js-msal"
exportable = true
content_type = "application/x-pem-file"

[[application]]
tenant = "partner"
name = "js-cert-client"
access_token_version = 2

  [[application.certificate]]
  name = "js-msal"
  vault_certificate = "home-kv/js-msal"

[[app_role_assignment]]
tenant = "partner"
principal = "js-cert-client"
resource = "orders-api"
role = "Orders.Read"
`;

const root = mkdtempSync(join(tmpdir(), 'sb-compat-js-'));
cpSync(join(seed, 'workflows'), join(root, 'workflows'), { recursive: true });
writeFileSync(join(root, 'world.toml'), readFileSync(join(seed, 'world.toml'), 'utf8') + EXTRA);
const data = join(root, 'data');
const server = spawn(binary(), ['up', '--data-dir', data, '--world', join(root, 'world.toml'), '--port', '0'], {
  env: { ...process.env, SKYBRIDGE_LOG: process.env.SKYBRIDGE_LOG ?? 'warn' },
  stdio: ['ignore', 'pipe', 'inherit'],
});

let code = 1;
try {
  await new Promise((ready, fail) => {
    const timer = setTimeout(() => fail(new Error('skybridge up: no ready line in 60 s')), 60_000);
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('ready')) {
        clearTimeout(timer);
        ready();
      }
    });
    server.on('exit', (c) => fail(new Error(`skybridge up exited with ${c} before it was ready`)));
  });
  const endpointsPath = join(data, 'endpoints.json');
  const endpoints = JSON.parse(readFileSync(endpointsPath, 'utf8'));
  const tests = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', join(here, 'tests')], {
    env: {
      ...process.env,
      SKYBRIDGE_ENDPOINTS: endpointsPath,
      SKYBRIDGE_JS_SECRET: JS_SECRET,
      NODE_EXTRA_CA_CERTS: endpoints.ca_certificate,
      NO_PROXY: '127.0.0.1,localhost',
    },
    stdio: 'inherit',
  });
  code = await new Promise((done) => tests.on('exit', (c) => done(c ?? 1)));
} catch (e) {
  console.error(e.message);
} finally {
  server.kill('SIGTERM');
  await new Promise((done) => (server.exitCode !== null ? done() : server.on('exit', done)));
  rmSync(root, { recursive: true, force: true });
}
process.exit(code);
