-- oauth2u schema 7: which versions can still use this schema, for rolling upgrades. A
-- migration that an older oauth2u could not work with (a dropped or renamed column, a new
-- NOT NULL column without a default) sets compatible_from to its own version; additive
-- migrations leave it, so the previous version keeps running beside the new one.

CREATE TABLE oauth2u_schema (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    compatible_from  INTEGER NOT NULL
);

INSERT INTO oauth2u_schema (id, compatible_from) VALUES (1, 1);
