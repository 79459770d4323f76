// An authorization server nobody here wrote: panva's oidc-provider, configured with the
// two clients the interoperability tests use. Usage: node server.mjs PORT
// Prints "ready" once it listens on 127.0.0.1:PORT.
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'service',
      client_secret: 'service-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      // A native app (RFC 8252): public, PKCE, loopback redirect on any port.
      client_id: 'cli',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
    },
  ],
  scopes: ['openid', 'offline_access', 'api:read'],
  // A refresh token for every client allowed the grant (by default it needs offline_access,
  // which OpenID Connect honours only with prompt=consent).
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log('ready');
});
