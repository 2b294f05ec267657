// What every test file shares: the running Skybridge's endpoints.json, name resolution of its
// hosts to its listener (what a hosts-file entry does; `skybridge hosts` prints those lines),
// and token verification with node:crypto against the tenant's published JWKS.
import { createHash, createPublicKey, verify } from 'node:crypto';
import dns from 'node:dns';
import { readFileSync } from 'node:fs';

export const endpoints = JSON.parse(readFileSync(process.env.SKYBRIDGE_ENDPOINTS, 'utf8'));
export const SECRET = process.env.SKYBRIDGE_JS_SECRET;

const listen = endpoints.listen.replace(/:\d+$/, '');
const hosts = new Set(endpoints.hosts);
const systemLookup = dns.lookup;
dns.lookup = (host, options, callback) => {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  if (!hosts.has(host)) return systemLookup(host, options, callback);
  if (options?.all) return process.nextTick(callback, null, [{ address: listen, family: 4 }]);
  return process.nextTick(callback, null, listen, 4);
};

export const authority = endpoints.authority;
export const tenantId = (name) => endpoints.tenants[name].tenant_id;
export const clientId = (key) => endpoints.applications[key].client_id;
export const vaultUri = (name) => endpoints.vaults[name].uri;
export const gatewayUri = (name) => endpoints.gateways[name].uri;

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const sha256 = (data) => createHash('sha256').update(data).digest();

/** Decodes a compact JWS and verifies its RS256 signature with the key its `kid` names in the
 * tenant's v2 JWKS (found through the discovery document). Returns the claims. */
export async function verifyToken(token, tenant) {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const discovery = await (await fetch(`${authority}/${tenantId(tenant)}/v2.0/.well-known/openid-configuration`)).json();
  const jwks = await (await fetch(discovery.jwks_uri)).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`kid ${header.kid} is not in ${discovery.jwks_uri}`);
  if (header.alg !== 'RS256') throw new Error(`unexpected alg ${header.alg}`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  if (!verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) {
    throw new Error('token signature does not verify');
  }
  return JSON.parse(Buffer.from(p, 'base64url'));
}

/** Sets the App Service managed-identity environment of `resource`, as Azure does. */
export function useManagedIdentity(resource) {
  for (const v of ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MSI_ENDPOINT', 'MSI_SECRET', 'IMDS_ENDPOINT', 'IDENTITY_SERVER_THUMBPRINT', 'AZURE_POD_IDENTITY_AUTHORITY_HOST', 'AZURE_CLIENT_ID']) {
    delete process.env[v];
  }
  const identity = endpoints.managed_identities[resource];
  process.env.IDENTITY_ENDPOINT = identity.identity_endpoint;
  process.env.IDENTITY_HEADER = identity.identity_header;
}
