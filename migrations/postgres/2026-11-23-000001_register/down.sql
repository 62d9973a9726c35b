DROP TABLE settings;
DROP TABLE api_keys;
DROP TABLE users;
DROP TABLE agencies;
DROP TABLE inspection_bodies;
DROP TABLE locations;
DROP TABLE providers;
