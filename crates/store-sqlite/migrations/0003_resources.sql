-- oauth2u schema 3: resource indicators (RFC 8707) and token audiences.

ALTER TABLE clients ADD COLUMN resource_server TEXT;                 -- the URI an API client is known by
ALTER TABLE clients ADD COLUMN resources TEXT NOT NULL DEFAULT '[]'; -- JSON array: resources it may ask for
ALTER TABLE authorization_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tokens ADD COLUMN audience TEXT NOT NULL DEFAULT '[]';   -- JSON array

CREATE UNIQUE INDEX clients_by_resource_server ON clients (resource_server) WHERE resource_server IS NOT NULL;
