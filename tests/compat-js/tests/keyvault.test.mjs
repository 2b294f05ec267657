// @azure/keyvault-secrets, -keys and -certificates with default client options (challenge
// resource verification on) against the seed's vault home-kv, as its administrator app.
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, randomUUID, verify } from 'node:crypto';
import { test } from 'node:test';

import { ClientSecretCredential } from '@azure/identity';
import { CertificateClient } from '@azure/keyvault-certificates';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import { SecretClient } from '@azure/keyvault-secrets';

import { SECRET, authority, clientId, sha256, tenantId, vaultUri } from './skybridge.mjs';

const credential = new ClientSecretCredential(tenantId('home'), clientId('home/js-kv-admin'), SECRET, {
  authorityHost: authority,
  disableInstanceDiscovery: true,
});
const vault = vaultUri('home-kv');
const unique = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`;

test('secrets: versions, get by version, list versions, delete and recover', async () => {
  const client = new SecretClient(vault, credential);
  const name = unique('js-secret');
  const first = await client.setSecret(name, 'one', { contentType: 'text/plain' });
  const second = await client.setSecret(name, 'two');
  assert.ok(first.properties.id.startsWith(`${vault}/secrets/${name}/`));
  assert.equal((await client.getSecret(name)).value, 'two');
  assert.equal((await client.getSecret(name, { version: first.properties.version })).value, 'one');
  const versions = [];
  for await (const v of client.listPropertiesOfSecretVersions(name)) versions.push(v.version);
  assert.deepEqual(versions.sort(), [first.properties.version, second.properties.version].sort());
  const deletion = await client.beginDeleteSecret(name);
  await deletion.pollUntilDone();
  const recovery = await client.beginRecoverDeletedSecret(name);
  await recovery.pollUntilDone();
  assert.equal((await client.getSecret(name)).value, 'two');
});

test('keys: an RSA key signs a SHA-256 digest that node:crypto verifies with its public JWK', async () => {
  const keys = new KeyClient(vault, credential);
  const key = await keys.createRsaKey(unique('js-rsa'), { keySize: 2048 });
  assert.equal(key.key.d, undefined, 'no private part is ever returned');
  const data = Buffer.from('signed by the vault');
  const signed = await new CryptographyClient(key, credential).sign('RS256', sha256(data));
  const publicKey = createPublicKey({
    key: { kty: 'RSA', n: Buffer.from(key.key.n).toString('base64url'), e: Buffer.from(key.key.e).toString('base64url') },
    format: 'jwk',
  });
  assert.ok(verify('sha256', data, publicKey, Buffer.from(signed.result)));
});

test('keys: a P-256 key signs ES256 as raw r||s', async () => {
  const keys = new KeyClient(vault, credential);
  const key = await keys.createEcKey(unique('js-ec'), { curve: 'P-256' });
  const data = Buffer.from('signed by the vault with P-256');
  const signed = await new CryptographyClient(key, credential).sign('ES256', sha256(data));
  assert.equal(signed.result.length, 64);
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(key.key.x).toString('base64url'),
      y: Buffer.from(key.key.y).toString('base64url'),
    },
    format: 'jwk',
  });
  assert.ok(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signed.result)));
});

test('certificates: a self-signed certificate from a policy, polled to completion', async () => {
  const client = new CertificateClient(vault, credential);
  const name = unique('js-cert');
  const poller = await client.beginCreateCertificate(name, {
    issuerName: 'Self',
    subject: 'CN=js.example',
    subjectAlternativeNames: { dnsNames: ['js.example'] },
    exportable: false,
  });
  const certificate = await poller.pollUntilDone();
  const x509 = new X509Certificate(Buffer.from(certificate.cer));
  assert.equal(x509.subject, 'CN=js.example');
  assert.match(x509.subjectAltName, /DNS:js\.example/);
  assert.ok(certificate.keyId.startsWith(`${vault}/keys/${name}/`));
  const policy = await client.getCertificatePolicy(name);
  assert.equal(policy.exportable, false);
});
