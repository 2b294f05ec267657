// @azure/msal-node's ConfidentialClientApplication against the partner tenant, configured as for
// Entra ID except for the authority (a known authority, so no instance discovery).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConfidentialClientApplication } from '@azure/msal-node';

import { SECRET, authority, clientId, tenantId, verifyToken } from './skybridge.mjs';

function app(secret) {
  return new ConfidentialClientApplication({
    auth: {
      clientId: clientId('partner/js-client'),
      authority: `${authority}/${tenantId('partner')}`,
      knownAuthorities: [new URL(authority).host],
      clientSecret: secret,
    },
  });
}

test('client credentials with a secret: a v2 token for the Orders API with its role', async () => {
  const cca = app(SECRET);
  const result = await cca.acquireTokenByClientCredential({ scopes: ['api://orders/.default'] });
  const claims = await verifyToken(result.accessToken, 'partner');
  assert.equal(claims.iss, `${authority}/${tenantId('partner')}/v2.0`);
  assert.equal(claims.aud, clientId('partner/orders-api'));
  assert.equal(claims.azp, clientId('partner/js-client'));
  assert.deepEqual(claims.roles, ['Orders.Read']);
  assert.equal(claims.tid, tenantId('partner'));
  // msal-node's own cache answers the second call.
  const again = await cca.acquireTokenByClientCredential({ scopes: ['api://orders/.default'] });
  assert.equal(again.accessToken, result.accessToken);
  assert.equal(again.fromCache, true);
});

test('a wrong secret is refused with AADSTS7000215', async () => {
  await assert.rejects(
    app('not-the-secret').acquireTokenByClientCredential({ scopes: ['api://orders/.default'] }),
    (e) => {
      assert.equal(e.errorCode, 'invalid_client');
      assert.match(e.errorMessage, /AADSTS7000215/);
      return true;
    },
  );
});

test('an unknown resource is refused with AADSTS500011', async () => {
  await assert.rejects(
    app(SECRET).acquireTokenByClientCredential({ scopes: ['api://nothing-here/.default'] }),
    (e) => {
      assert.match(e.errorMessage, /AADSTS500011/);
      return true;
    },
  );
});
