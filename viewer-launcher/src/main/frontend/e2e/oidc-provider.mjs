// A real OpenID Connect provider for the portal's sign-in test: panva's oidc-provider (a certified
// implementation, from the npm registry) on loopback, with its own development login and consent pages.
//   node e2e/oidc-provider.mjs <port> <node origin> <accounts JSON file>
// The accounts file maps a login to { name, claims }: any password signs in, and `claims` (professional_id,
// organisation... as the node expects them) go into that person's access tokens. The portal (client
// "portal", public, PKCE) gets access tokens as RS256 JWTs for the audience "imaging-node", which the node
// checks against this provider's JWKS. Prints "listening <issuer>" once it accepts connections; stops on SIGTERM.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, nodeOrigin, accountsFile] = process.argv.slice(2);
if (!accountsFile) {
  console.error('usage: oidc-provider.mjs <port> <node origin> <accounts JSON file>');
  process.exit(2);
}
const accounts = JSON.parse(readFileSync(accountsFile, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;
// the node as a resource server: tokens for it are JWTs it can verify by itself
const NODE_RESOURCE = 'urn:imaging-node';
const pages = ['portal.html', 'me.html'].map((p) => `${nodeOrigin}/viewer/${p}`);
const signingKey = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: 'test-signing-key', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'portal',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: pages,
    post_logout_redirect_uris: pages,
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name'] },
  conformIdTokenClaims: false, // the name in the ID token: the portal shows who is signed in
  scopes: ['openid', 'profile', 'imaging'],
  async findAccount(_ctx, id) {
    const account = accounts[id];
    return account && { accountId: id, claims: async () => ({ sub: id, name: account.name }) };
  },
  features: {
    resourceIndicators: {
      enabled: true,
      defaultResource: () => NODE_RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== NODE_RESOURCE) throw new Provider.errors.InvalidTarget();
        return { scope: 'imaging', audience: 'imaging-node', accessTokenFormat: 'jwt', accessTokenTTL: 600,
          jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  async extraTokenClaims(_ctx, token) {
    return token.kind === 'AccessToken' ? accounts[token.accountId]?.claims : undefined;
  },
});

const server = provider.listen(Number(port), '127.0.0.1', () => console.log(`listening ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
