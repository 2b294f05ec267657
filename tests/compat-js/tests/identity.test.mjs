// @azure/identity's credentials with their documented options for another cloud: authorityHost
// and disableInstanceDiscovery; the managed identity from App Service's environment variables.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';

import { SECRET, authority, clientId, endpoints, tenantId, useManagedIdentity, verifyToken } from './skybridge.mjs';

test('ClientSecretCredential gets a verifiable partner token', async () => {
  const credential = new ClientSecretCredential(tenantId('partner'), clientId('partner/js-client'), SECRET, {
    authorityHost: authority,
    disableInstanceDiscovery: true,
  });
  const token = await credential.getToken('api://orders/.default');
  assert.ok(token.expiresOnTimestamp > Date.now() + 30 * 60 * 1000);
  const claims = await verifyToken(token.token, 'partner');
  assert.deepEqual(claims.roles, ['Orders.Read']);
});

test('ManagedIdentityCredential (App Service) gets a home-tenant token for the vault', async () => {
  useManagedIdentity('orders-sync');
  const credential = new ManagedIdentityCredential();
  const vaultResource = new URL(endpoints.vaults['home-kv'].uri);
  const resource = `https://${vaultResource.host.split('.').slice(1).join('.')}`;
  const token = await credential.getToken(`${resource}/.default`);
  const claims = JSON.parse(Buffer.from(token.token.split('.')[1], 'base64url'));
  assert.equal(claims.tid, tenantId('home'));
  assert.equal(claims.aud, resource);
  assert.equal(claims.appid, endpoints.managed_identities['orders-sync'].client_id);
});

test('a managed identity cannot get a token for another tenant\'s API', async () => {
  useManagedIdentity('orders-sync');
  await assert.rejects(new ManagedIdentityCredential().getToken('api://orders/.default'), /AADSTS500011/);
});
