-- Each replica memoises credential reads (the user, their role's permissions, a token,
-- the sign-in limits: src/db/database.ts, cachedCredentials) and forgets them when one
-- of these tables changes. Every statement that writes one of them, through any replica
-- or by hand, notifies the channel every replica listens on. Additive: a replica of the
-- previous release ignores the notifications, and its writes notify the others.
CREATE FUNCTION chartroom_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('chartroom_credentials', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

CREATE TRIGGER chartroom_credentials_users AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION chartroom_credentials_changed();
CREATE TRIGGER chartroom_credentials_roles AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roles
  FOR EACH STATEMENT EXECUTE FUNCTION chartroom_credentials_changed();
CREATE TRIGGER chartroom_credentials_access_tokens AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON access_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION chartroom_credentials_changed();
CREATE TRIGGER chartroom_credentials_sign_in_failures AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sign_in_failures
  FOR EACH STATEMENT EXECUTE FUNCTION chartroom_credentials_changed();
