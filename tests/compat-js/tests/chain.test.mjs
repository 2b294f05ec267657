// The seed chain written with Microsoft's JavaScript SDKs only, as a user's app would run it on
// Azure: the app's managed identity (App Service environment) reads the vault certificate and has
// the vault sign a client assertion (the private key never leaves the vault); @azure/identity's
// ClientAssertionCredential buys a partner token with it; the partner's gateway validates it.
import assert from 'node:assert/strict';
import { X509Certificate, createHash, randomUUID } from 'node:crypto';
import { test } from 'node:test';

import { ClientAssertionCredential, ManagedIdentityCredential } from '@azure/identity';
import { CertificateClient } from '@azure/keyvault-certificates';
import { CryptographyClient } from '@azure/keyvault-keys';

import { authority, b64url, clientId, gatewayUri, sha256, tenantId, useManagedIdentity, vaultUri, verifyToken } from './skybridge.mjs';

test('managed identity -> vault-signed assertion -> partner token -> gateway -> Orders API', async () => {
  useManagedIdentity('orders-sync');
  const identity = new ManagedIdentityCredential();
  const certificate = await new CertificateClient(vaultUri('home-kv'), identity).getCertificate('partner-client');
  const x5t = b64url(createHash('sha1').update(Buffer.from(certificate.cer)).digest());
  assert.equal(new X509Certificate(Buffer.from(certificate.cer)).subject, 'CN=partner-client');
  const signer = new CryptographyClient(certificate.keyId, identity);
  const partner = tenantId('partner');
  const client = clientId('partner/home-integration');
  const signAssertion = async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5t }));
    const payload = b64url(
      JSON.stringify({
        aud: `${authority}/${partner}/oauth2/v2.0/token`,
        iss: client,
        sub: client,
        jti: randomUUID(),
        nbf: now,
        iat: now,
        exp: now + 600,
      }),
    );
    const signed = await signer.sign('RS256', sha256(`${header}.${payload}`));
    return `${header}.${payload}.${b64url(signed.result)}`;
  };
  const credential = new ClientAssertionCredential(partner, client, signAssertion, {
    authorityHost: authority,
    disableInstanceDiscovery: true,
  });
  const token = await credential.getToken('api://orders/.default');
  const claims = await verifyToken(token.token, 'partner');
  assert.deepEqual(claims.roles, ['Orders.Read']);
  assert.equal(claims.azp, client);

  const response = await fetch(`${gatewayUri('partner-apim')}/orders`, {
    headers: { Authorization: `Bearer ${token.token}` },
  });
  assert.equal(response.status, 200, await response.clone().text());
  const body = await response.json();
  assert.deepEqual(
    body.value.map((o) => o.id),
    ['1001', '1002'],
  );
  assert.equal(body.caller.client, client);

  // The gateway's validate-jwt refuses the managed identity's own (home-tenant) token.
  const home = await identity.getToken(`https://${new URL(vaultUri('home-kv')).host.split('.').slice(1).join('.')}/.default`);
  const refused = await fetch(`${gatewayUri('partner-apim')}/orders`, { headers: { Authorization: `Bearer ${home.token}` } });
  assert.equal(refused.status, 401);
});
