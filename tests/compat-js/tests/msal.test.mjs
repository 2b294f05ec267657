// @azure/msal-node's ConfidentialClientApplication against the partner tenant, configured as for
// Entra ID except for the authority (a known authority, so no instance discovery).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { X509Certificate, createHash } from 'node:crypto';

import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { ConfidentialClientApplication } from '@azure/msal-node';

import { SECRET, authority, clientId, tenantId, vaultUri, verifyToken } from './skybridge.mjs';

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

test('client credentials with a certificate: msal-node signs its own client assertion', async () => {
  // The certificate and its key, as a PEM secret of the vault (exportable, for this test only).
  const admin = new ClientSecretCredential(tenantId('home'), clientId('home/js-kv-admin'), SECRET, {
    authorityHost: authority,
    disableInstanceDiscovery: true,
  });
  const pem = (await new SecretClient(vaultUri('home-kv'), admin).getSecret('js-msal')).value;
  const certificate = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)[0];
  const privateKey = pem.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/)[0];
  const der = new X509Certificate(certificate).raw;
  const cca = new ConfidentialClientApplication({
    auth: {
      clientId: clientId('partner/js-cert-client'),
      authority: `${authority}/${tenantId('partner')}`,
      knownAuthorities: [new URL(authority).host],
      clientCertificate: {
        thumbprintSha256: createHash('sha256').update(der).digest('hex'),
        privateKey,
        x5c: certificate,
      },
    },
  });
  const result = await cca.acquireTokenByClientCredential({ scopes: ['api://orders/.default'] });
  const claims = await verifyToken(result.accessToken, 'partner');
  assert.equal(claims.azp, clientId('partner/js-cert-client'));
  assert.equal(claims.azpacr, '2', 'a certificate credential');
  assert.deepEqual(claims.roles, ['Orders.Read']);
});
